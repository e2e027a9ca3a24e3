// Package searchattr names the custom search attributes Gatehouse sets on its
// workflows so operators can filter them in the Temporal Web UI.
package searchattr

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Keys set by the workflows. All are keywords: exact-match filters.
var (
	Site      = temporal.NewSearchAttributeKeyKeyword("GatehouseSite")
	Email     = temporal.NewSearchAttributeKeyKeyword("GatehouseEmail")
	EventType = temporal.NewSearchAttributeKeyKeyword("GatehouseEventType")
	Status    = temporal.NewSearchAttributeKeyKeyword("GatehouseStatus")
	Target    = temporal.NewSearchAttributeKeyKeyword("GatehouseTarget")
	// Approvals: the portal, the kind and the expiry, so pending approvals
	// can be filtered in the Web UI. Approvers' emails are never set.
	Portal       = temporal.NewSearchAttributeKeyKeyword("GatehousePortal")
	ApprovalKind = temporal.NewSearchAttributeKeyKeyword("GatehouseApprovalKind")
	Deadline     = temporal.NewSearchAttributeKeyTime("GatehouseDeadline")
)

// All maps every name to its type, for registration.
func All() map[string]enumspb.IndexedValueType {
	m := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{Site, Email, EventType, Status, Target, Portal, ApprovalKind} {
		m[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	m[Deadline.GetName()] = enumspb.INDEXED_VALUE_TYPE_DATETIME
	return m
}

// Ensure registers the attributes that the namespace lacks and says
// whether it added any. It is what an operator does once on a production
// cluster with `temporal operator search-attribute create`.
func Ensure(ctx context.Context, c client.Client, namespace string) (added bool, err error) {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return false, fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range All() {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return false, nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	if err != nil {
		return false, fmt.Errorf("add search attributes: %w", err)
	}
	return true, nil
}
