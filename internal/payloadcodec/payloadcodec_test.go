package payloadcodec_test

import (
	"bytes"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"gatehouse/internal/payloadcodec"
)

func mustRing(t *testing.T, s string) payloadcodec.Ring {
	t.Helper()
	r, err := payloadcodec.ParseRing(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustCodec(t *testing.T, r payloadcodec.Ring) *payloadcodec.Codec {
	t.Helper()
	c, err := payloadcodec.New(r)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEncryptsAndHidesData(t *testing.T) {
	dc, err := payloadcodec.DataConverter(mustRing(t, payloadcodec.NewRing("k1")))
	if err != nil {
		t.Fatal(err)
	}
	p, err := dc.ToPayload(map[string]string{"Email": "ada@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.Metadata[converter.MetadataEncoding]); got != payloadcodec.EncodingEncrypted {
		t.Fatalf("encoding %q", got)
	}
	if got := string(p.Metadata[payloadcodec.MetadataKeyID]); got != "k1" {
		t.Fatalf("key id %q", got)
	}
	if bytes.Contains(p.Data, []byte("ada@example.org")) {
		t.Fatal("email in the clear")
	}
	var back map[string]string
	if err := dc.FromPayload(p, &back); err != nil || back["Email"] != "ada@example.org" {
		t.Fatalf("round trip: %v %v", back, err)
	}
}

// A payload sealed with the old key decodes once a new key leads the ring;
// new payloads use the new key; a ring without the old key refuses.
func TestKeyRotation(t *testing.T) {
	oldRing := payloadcodec.NewRing("old")
	newRing := payloadcodec.NewRing("new")
	sealed, err := mustCodec(t, mustRing(t, oldRing)).Encode([]*commonpb.Payload{{Data: []byte(`"x"`)}})
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustCodec(t, mustRing(t, newRing+","+oldRing))
	got, err := rotated.Decode(sealed)
	if err != nil || string(got[0].Data) != `"x"` {
		t.Fatalf("decode with rotated ring: %v %v", got, err)
	}
	fresh, err := rotated.Encode([]*commonpb.Payload{{Data: []byte(`"y"`)}})
	if err != nil || string(fresh[0].Metadata[payloadcodec.MetadataKeyID]) != "new" {
		t.Fatalf("encode after rotation: %v %v", fresh, err)
	}
	if _, err := mustCodec(t, mustRing(t, newRing)).Decode(sealed); err == nil || !strings.Contains(err.Error(), `"old"`) {
		t.Fatalf("ring without the old key: %v", err)
	}
}

func TestUnencryptedPassesThrough(t *testing.T) {
	plain, err := converter.GetDefaultDataConverter().ToPayload("hello")
	if err != nil {
		t.Fatal(err)
	}
	got, err := mustCodec(t, mustRing(t, payloadcodec.NewRing("k"))).Decode([]*commonpb.Payload{plain})
	if err != nil || got[0] != plain {
		t.Fatalf("pass-through: %v %v", got, err)
	}
}

func TestTamperedPayloadFails(t *testing.T) {
	c := mustCodec(t, mustRing(t, payloadcodec.NewRing("k")))
	sealed, err := c.Encode([]*commonpb.Payload{{Data: []byte("abc")}})
	if err != nil {
		t.Fatal(err)
	}
	sealed[0].Data[len(sealed[0].Data)-1] ^= 1
	if _, err := c.Decode(sealed); err == nil {
		t.Fatal("tampered payload decoded")
	}
}

func TestParseRingErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "no key",
		"nokey":                             "kid:base64",
		"k:notbase64!":                      "not base64",
		"k:c2hvcnQ=":                        "5 bytes",
		"k:" + strings.Repeat("A", 43):      "repeated",
		"bad id:" + strings.Repeat("A", 44): "kid:base64",
		payloadcodec.NewRing("a") + "," + payloadcodec.NewRing("a"): "twice",
	} {
		_, err := payloadcodec.ParseRing(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.12q: %v, want %q", in, err, want)
		}
	}
}
