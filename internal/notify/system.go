package notify

// SystemTemplates ship with the product (partner 0): one set for
// Gatehouse's own user events and a generic set for objects that live
// outside it. They never fire themselves; clone copies them.
func SystemTemplates() []NotificationTemplate {
	field := func(desc, code string) Condition {
		return Condition{ObjectType: CondField, Description: desc, Field: &Value{ObjectType: ValueEvalBool, Code: code}}
	}
	param := func(key, code string) Parameter {
		return Parameter{ObjectType: "KalturaEventNotificationParameter", Key: key, Value: &Value{ObjectType: ValueEvalString, Code: code}}
	}
	http := func(system, name, desc, eventType, objectType string, conds ...Condition) NotificationTemplate {
		return NotificationTemplate{SystemName: system, Name: name, Description: desc, Type: TypeHTTP, EventType: eventType,
			EventObjectType: objectType, EventConditions: conds, Method: MethodPost, ContentType: ContentJSON,
			ManualDispatchEnabled: true, AutomaticDispatchEnabled: true}
	}
	userParams := []Parameter{param("user_id", "{event.object.id}"), param("user_email", "{event.object.email}"),
		param("first_name", "{event.object.firstName}"), param("last_name", "{event.object.lastName}")}
	entryParams := []Parameter{param("entry_id", "{event.object.id}"), param("entry_name", "{event.object.name}"),
		param("owner_id", "{event.object.userId}")}
	withParams := func(t NotificationTemplate, ps []Parameter) NotificationTemplate { t.ContentParameters = ps; return t }

	return []NotificationTemplate{
		// Gatehouse users (KUSER, 8).
		withParams(http("USER_ADDED", "User Added", "A user was created by a registration webhook or the API", "1", "8"), userParams),
		withParams(http("USER_CHANGED", "User Changed", "A user's data, role, groups or status changed", "2", "8"), userParams),
		withParams(http("USER_DELETED", "User Deleted", "A user was deleted", "7", "8"), userParams),
		withParams(http("USER_REGISTERED", "User Registered", "Tyk-style UserRegistered", "UserRegistered", "8"), userParams),
		withParams(http("USER_ACTIVATED", "User Account Activated", "The user set a password or used a magic link", "UserAccountActivated", "8"), userParams),
		withParams(http("REGISTRATION_CONFIRMED", "Registration Confirmed", "The registration workflow confirmed the user", "RegistrationConfirmed", "8"), userParams),
		withParams(http("REGISTRATION_LINK_EXPIRED", "Registration Link Expired", "A set-password or magic link expired unused", "RegistrationLinkExpired", "8"), userParams),
		{SystemName: "USER_REGISTERED_EMAIL", Name: "User Registered Email", Description: "Email the new user",
			Type: TypeEmail, EventType: "UserRegistered", EventObjectType: "8", Format: FormatHTML,
			Subject: "Welcome, {first_name}", Body: "Hello {first_name} {last_name},<br>your registration was received.",
			To:                    &RecipientProvider{ObjectType: RecipientsUser, UserID: &Value{ObjectType: ValueEvalString, Code: "{event.object.id}"}},
			ContentParameters:     userParams,
			ManualDispatchEnabled: true, AutomaticDispatchEnabled: true},

		// Generic objects posted to /api/v1/events (Kaltura entries and more).
		withParams(http("ENTRY_ADDED", "Entry Added", "A new entry was created", "1", "1"), entryParams),
		withParams(http("ENTRY_CHANGED", "Entry Changed", "An entry was modified", "2", "1"), entryParams),
		withParams(http("ENTRY_READY", "Entry Ready", "Fires when an entry changes status to READY", "2", "1",
			field("Only when entry is READY", "in_array({event.object.status},array(2))")), entryParams),
		withParams(http("ENTRY_DELETED", "Entry Deleted", "An entry was deleted", "7", "1"), entryParams),
		http("CATEGORY_CHANGED", "Category Changed", "A category was modified", "2", "2"),
		http("CATEGORY_USER_ADDED", "Category User Added", "A user joined a category", "1", "12"),
		http("METADATA_CHANGED", "Metadata Changed", "A custom metadata record changed", "6", "metadataEventNotifications.Metadata"),
		http("REACH_TASK_DONE", "REACH Task Done", "An enrichment task finished", "2", "42",
			field("Only when the task is READY", "{event.object.status}==2")),
		{SystemName: "ENTRY_READY_EMAIL", Name: "Entry Ready Email", Description: "Email the entry owner when the entry is READY",
			Type: TypeEmail, EventType: "2", EventObjectType: "1", Format: FormatHTML,
			EventConditions: []Condition{field("Only when entry is READY", "{event.object.status}==2")},
			Subject:         "Entry {entry_id} is ready", Body: "Entry {entry_id} ({entry_name}) is ready.",
			To:                    &RecipientProvider{ObjectType: RecipientsUser, UserID: &Value{ObjectType: ValueEvalString, Code: "{event.object.userId}"}},
			ContentParameters:     entryParams,
			ManualDispatchEnabled: true, AutomaticDispatchEnabled: true},
	}
}
