// Package notify is the model of outbound notifications: Kaltura-compatible
// event notification templates, Tyk-style channels, how an event matches
// them and how a delivery request is built. It does no I/O.
package notify

import (
	"encoding/json"
	"strconv"
	"time"
)

// Template types, as Kaltura's typeEqual filter spells them.
const (
	TypeHTTP    = "httpNotification.Http"
	TypeEmail   = "emailNotification.Email"
	TypeBoolean = "booleanNotification.Boolean"
)

// Kaltura object types of the template kinds.
const (
	ObjectHTTPTemplate    = "KalturaHttpNotificationTemplate"
	ObjectEmailTemplate   = "KalturaEmailNotificationTemplate"
	ObjectBooleanTemplate = "KalturaBooleanNotificationTemplate"
)

// Template status values (Kaltura's EventNotificationTemplateStatus).
const (
	StatusDisabled = 1
	StatusActive   = 2
)

// SystemPartner owns the templates that ship with the product; Partner owns
// everything created through the API.
const (
	SystemPartner = 0
	Partner       = 1
)

// NotificationTemplate is one event notification template. JSON names are Kaltura's;
// secrets are not here (see Secrets) so a template can be returned as is.
type NotificationTemplate struct {
	ID                       int64       `json:"id"`
	PartnerID                int         `json:"partnerId"`
	Name                     string      `json:"name"`
	SystemName               string      `json:"systemName,omitempty"`
	Description              string      `json:"description,omitempty"`
	Type                     string      `json:"type"`
	Status                   int         `json:"status"`
	CreatedAt                int64       `json:"createdAt"`
	UpdatedAt                int64       `json:"updatedAt"`
	ManualDispatchEnabled    bool        `json:"manualDispatchEnabled"`
	AutomaticDispatchEnabled bool        `json:"automaticDispatchEnabled"`
	EventType                string      `json:"eventType"`
	EventObjectType          string      `json:"eventObjectType"`
	EventConditions          []Condition `json:"eventConditions,omitempty"`
	ContentParameters        []Parameter `json:"contentParameters,omitempty"`
	UserParameters           []Parameter `json:"userParameters,omitempty"`
	EventDelayedCondition    int         `json:"eventDelayedCondition,omitempty"`

	// HTTP templates (KalturaHttpNotificationTemplate).
	URL                  string         `json:"url,omitempty"`
	Method               int            `json:"method,omitempty"`
	ContentType          int            `json:"contentType,omitempty"`
	Data                 *Data          `json:"data,omitempty"`
	CustomHeaders        KalturaHeaders `json:"customHeaders,omitempty"`
	AuthenticationMethod int            `json:"authenticationMethod,omitempty"`
	SSLVersion           int            `json:"sslVersion,omitempty"`
	SSLCertificate       string         `json:"sslCertificate,omitempty"`
	SSLCertificateType   string         `json:"sslCertificateType,omitempty"`
	SSLKeyType           string         `json:"sslKeyType,omitempty"`
	SecureHashingAlgo    int            `json:"secureHashingAlgo,omitempty"`
	Timeout              int            `json:"timeout,omitempty"`
	ConnectTimeout       int            `json:"connectTimeout,omitempty"`
	// Gatehouse extensions: Standard Webhooks signing on request, and the
	// retry schedule (comma-separated durations, e.g. "30s,2m,10m").
	StandardWebhooks int    `json:"standardWebhooks,omitempty"`
	RetrySchedule    string `json:"retrySchedule,omitempty"`

	// Email templates (KalturaEmailNotificationTemplate).
	Format    int                `json:"format,omitempty"`
	Subject   string             `json:"subject,omitempty"`
	Body      string             `json:"body,omitempty"`
	FromEmail string             `json:"fromEmail,omitempty"`
	FromName  string             `json:"fromName,omitempty"`
	To        *RecipientProvider `json:"to,omitempty"`
	Cc        *RecipientProvider `json:"cc,omitempty"`
	Bcc       *RecipientProvider `json:"bcc,omitempty"`

	// Set when Gatehouse disabled the template itself (410, failing too long).
	DisabledReason string `json:"disabledReason,omitempty"`
	// FailingSince is when the template's current failure streak began (nil:
	// its last request succeeded). Kept by the deliverer; not Kaltura's.
	FailingSince *time.Time `json:"-"`
}

// Secrets are the write-only fields. They are stored apart from the template
// and never serialised into an API answer or a log line.
type Secrets struct {
	SignSecret             string `json:"signSecret,omitempty"`
	AuthUsername           string `json:"authUsername,omitempty"`
	AuthPassword           string `json:"authPassword,omitempty"`
	SSLCertificatePassword string `json:"sslCertificatePassword,omitempty"`
	SSLKey                 string `json:"sslKey,omitempty"`
	SSLKeyPassword         string `json:"sslKeyPassword,omitempty"`
	StandardWebhooksSecret string `json:"standardWebhooksSecret,omitempty"`
}

// Condition is one of Kaltura's event condition objects; which fields are
// used depends on ObjectType.
type Condition struct {
	ObjectType  string `json:"objectType"`
	Description string `json:"description,omitempty"`
	// KalturaEventFieldCondition
	Field *Value `json:"field,omitempty"`
	// KalturaEventObjectChangedCondition
	ModifiedColumns string `json:"modifiedColumns,omitempty"`
	// KalturaMetadataFieldChangedCondition
	XPath             string `json:"xPath,omitempty"`
	ProfileID         string `json:"profileId,omitempty"`
	ProfileSystemName string `json:"profileSystemName,omitempty"`
	VersionA          string `json:"versionA,omitempty"`
	VersionB          string `json:"versionB,omitempty"`
	// KalturaBooleanEventNotificationCondition
	BooleanEventNotificationIDs string `json:"booleanEventNotificationIds,omitempty"`
}

// Condition object types.
const (
	CondField           = "KalturaEventFieldCondition"
	CondObjectChanged   = "KalturaEventObjectChangedCondition"
	CondMetadataChanged = "KalturaMetadataFieldChangedCondition"
	CondBoolean         = "KalturaBooleanEventNotificationCondition"
)

// Value is a Kaltura string value: static (KalturaStringValue,
// KalturaStringField) or evaluated (KalturaEvalStringField,
// KalturaEvalBooleanField).
type Value struct {
	ObjectType string `json:"objectType"`
	Value      string `json:"value,omitempty"`
	Code       string `json:"code,omitempty"`
}

// Value object types.
const (
	ValueString     = "KalturaStringValue"
	ValueField      = "KalturaStringField"
	ValueEvalString = "KalturaEvalStringField"
	ValueEvalBool   = "KalturaEvalBooleanField"
)

// Evaluated reports whether the value is code to evaluate.
func (v *Value) Evaluated() bool {
	return v != nil && (v.ObjectType == ValueEvalString || v.ObjectType == ValueEvalBool)
}

// Parameter is a KalturaEventNotificationParameter.
type Parameter struct {
	ObjectType  string `json:"objectType"`
	Key         string `json:"key"`
	Description string `json:"description,omitempty"`
	Value       *Value `json:"value,omitempty"`
}

// KalturaHeaders are a template's customHeaders: the same Header as a
// channel's, written in Kaltura's shape (KalturaKeyValue objects with key and
// value) so the API and the stored templates keep that shape.
type KalturaHeaders []Header

type kalturaKeyValue struct {
	ObjectType string `json:"objectType"`
	Key        string `json:"key"`
	Value      string `json:"value"`
}

// MarshalJSON writes KalturaKeyValue objects.
func (hs KalturaHeaders) MarshalJSON() ([]byte, error) {
	out := make([]kalturaKeyValue, len(hs))
	for i, h := range hs {
		out[i] = kalturaKeyValue{ObjectType: "KalturaKeyValue", Key: h.Name, Value: h.Value}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads KalturaKeyValue objects.
func (hs *KalturaHeaders) UnmarshalJSON(b []byte) error {
	var in []kalturaKeyValue
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*hs = make(KalturaHeaders, len(in))
	for i, kv := range in {
		(*hs)[i] = Header{Name: kv.Key, Value: kv.Value}
	}
	return nil
}

// Data is the payload configuration of an HTTP template.
type Data struct {
	ObjectType        string      `json:"objectType"`
	Format            int         `json:"format,omitempty"`
	APIObjectType     string      `json:"apiObjectType,omitempty"`
	ResponseProfileID int         `json:"responseProfileId,omitempty"`
	IgnoreNull        bool        `json:"ignoreNull,omitempty"`
	Content           *Value      `json:"content,omitempty"`
	Fields            []Parameter `json:"fields,omitempty"`
}

// Data object types.
const (
	DataObject = "KalturaHttpNotificationObjectData"
	DataText   = "KalturaHttpNotificationDataText"
	DataFields = "KalturaHttpNotificationDataFields"
)

// RecipientProvider resolves email recipients at dispatch time.
type RecipientProvider struct {
	ObjectType      string      `json:"objectType"`
	EmailRecipients []Recipient `json:"emailRecipients,omitempty"`
	UserID          *Value      `json:"userId,omitempty"`
	GroupID         *Value      `json:"groupId,omitempty"`
	CategoryID      *Value      `json:"categoryId,omitempty"`
}

// Recipient provider object types.
const (
	RecipientsStatic   = "KalturaEmailNotificationStaticRecipientProvider"
	RecipientsUser     = "KalturaEmailNotificationUserRecipientProvider"
	RecipientsGroup    = "KalturaEmailNotificationGroupRecipientProvider"
	RecipientsCategory = "KalturaEmailNotificationCategoryRecipientProvider"
)

// Recipient is a KalturaEmailNotificationRecipient.
type Recipient struct {
	ObjectType string `json:"objectType"`
	Email      *Value `json:"email,omitempty"`
	Name       *Value `json:"name,omitempty"`
}

// HTTP methods and content types as Kaltura numbers them.
const (
	MethodGet  = 1
	MethodPost = 2

	ContentForm = 1
	ContentJSON = 2
	ContentXML  = 3
	ContentText = 4
)

// Email formats.
const (
	FormatHTML = 1
	FormatText = 2
	FormatBoth = 3
)

// ObjectType is the Kaltura objectType of the template's kind.
func (t *NotificationTemplate) ObjectType() string {
	switch t.Type {
	case TypeEmail:
		return ObjectEmailTemplate
	case TypeBoolean:
		return ObjectBooleanTemplate
	}
	return ObjectHTTPTemplate
}

// TypeOf maps a Kaltura objectType to the template type.
func TypeOf(objectType string) (string, bool) {
	switch objectType {
	case ObjectHTTPTemplate:
		return TypeHTTP, true
	case ObjectEmailTemplate:
		return TypeEmail, true
	case ObjectBooleanTemplate:
		return TypeBoolean, true
	}
	return "", false
}

// TargetID is the template's id as a delivery target.
func (t *NotificationTemplate) TargetID() string { return strconv.FormatInt(t.ID, 10) }

// Schedule is the template's retry schedule or the default.
func (t *NotificationTemplate) Schedule() []time.Duration {
	if s, err := ParseSchedule(t.RetrySchedule); err == nil && s != nil {
		return s
	}
	return DefaultSchedule
}

// Touch sets the timestamps Kaltura reports in unix seconds.
func (t *NotificationTemplate) Touch(created, updated time.Time) {
	t.CreatedAt = created.Unix()
	t.UpdatedAt = updated.Unix()
}
