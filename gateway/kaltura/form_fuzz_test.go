package kaltura

import (
	"net/url"
	"reflect"
	"testing"

	"gatehouse/internal/notify"
)

// FuzzParseForm: any form body decodes without panicking, deterministically,
// into a tree whose lists are bounded and hold no holes, and applying it to
// a template never panics either.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"ks=x&format=1&eventNotificationTemplate[objectType]=KalturaHttpNotificationTemplate&eventNotificationTemplate[name]=n",
		"eventNotificationTemplate[eventConditions][0][objectType]=KalturaEventFieldCondition&eventNotificationTemplate[eventConditions][0][field][code]=1",
		"eventNotificationTemplate[customHeaders][0][key]=X-A&eventNotificationTemplate[customHeaders][0][value]=b&eventNotificationTemplate[customHeaders][1][key]=c",
		"a[1000]=x", "a[1001]=x", "a[b]=1&a=2", "a[]=1", "a[0]=1&a[x]=2", "[x]=1", "a[[b]]=c", "eventNotificationTemplate[data][format]=3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw) // what decodes is what a handler gets
		n, err := parseForm(v)
		if err != nil {
			return
		}
		again, err := parseForm(v)
		if err != nil || !reflect.DeepEqual(n.JSON(), again.JSON()) {
			t.Fatalf("not deterministic: %v", err)
		}
		var walk func(*formNode)
		walk = func(n *formNode) {
			if n == nil {
				t.Fatal("nil node in the tree")
			}
			if len(n.Items) > maxFormIndex+1 {
				t.Fatalf("list of %d items", len(n.Items))
			}
			for _, it := range n.Items {
				walk(it)
			}
			for _, f := range n.Fields {
				walk(f)
			}
		}
		walk(n)
		for _, mode := range []formMode{modeAdd, modeUpdate} {
			var tpl notify.NotificationTemplate
			var sec notify.Secrets
			applyForm(n.Get(templateParam), templateParam, mode, &tpl, &sec)
		}
	})
}
