// Package payloadcodec encrypts every payload Gatehouse hands to Temporal
// (workflow inputs, signals, results, activity arguments) with AES-256-GCM,
// so the registrant's personal data never rests in Temporal's history in the
// clear. temporalconn applies it to every client and worker; the gateway
// serves it to the Web UI as a codec server (gateway/codec).
package payloadcodec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload. The payload's data is nonce ‖ sealed
// (the whole original payload, metadata included, as protobuf).
const (
	EncodingEncrypted = "binary/encrypted"
	MetadataKeyID     = "encryption-key-id"
)

// Key is one named AES-256 key.
type Key struct {
	ID     string
	secret []byte
}

// Ring is the configured keys: the first encrypts, all decrypt, so a new
// key goes first and an old one stays until its histories are gone.
type Ring []Key

// ParseRing reads "kid:base64(32 bytes)[,kid2:base64...]". The error does
// not repeat the secret.
func ParseRing(s string) (Ring, error) {
	var ring Ring
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok || !validID(id) {
			return nil, fmt.Errorf("entry %d is not kid:base64-key (kid: 1-64 of A-Z a-z 0-9 _ . -)", len(ring)+1)
		}
		if seen[id] {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		seen[id] = true
		secret, err := decodeKey(b64)
		if err != nil {
			return nil, fmt.Errorf("key %q: %v", id, err)
		}
		ring = append(ring, Key{ID: id, secret: secret})
	}
	if len(ring) == 0 {
		return nil, errors.New("holds no key")
	}
	return ring, nil
}

func decodeKey(b64 string) ([]byte, error) {
	b64 = strings.TrimSpace(b64)
	var secret []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if secret, err = enc.DecodeString(b64); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errors.New("is not base64")
	}
	if len(secret) != 32 {
		return nil, fmt.Errorf("is %d bytes, AES-256 needs 32 (openssl rand -base64 32)", len(secret))
	}
	same := true
	for _, b := range secret {
		same = same && b == secret[0]
	}
	if same {
		return nil, errors.New("is one byte repeated: generate one with openssl rand -base64 32")
	}
	return secret, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// NewRing returns a fresh one-key ring in GATEHOUSE_PAYLOAD_KEYS syntax.
func NewRing(id string) string {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // never fails (crypto/rand)
	return id + ":" + base64.StdEncoding.EncodeToString(secret)
}

// Codec is a converter.PayloadCodec.
type Codec struct {
	encID string
	aeads map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New builds the codec for ring, which must hold at least one key.
func New(ring Ring) (*Codec, error) {
	if len(ring) == 0 {
		return nil, errors.New("payloadcodec: empty key ring")
	}
	c := &Codec{encID: ring[0].ID, aeads: map[string]cipher.AEAD{}}
	for _, k := range ring {
		block, err := aes.NewCipher(k.secret)
		if err != nil {
			return nil, err
		}
		if c.aeads[k.ID], err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// DataConverter is the SDK's default converter with the codec on top.
func DataConverter(ring Ring) (converter.DataConverter, error) {
	c, err := New(ring)
	if err != nil {
		return nil, err
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c), nil
}

// FailureConverter moves failure messages and stack traces into a payload
// encoded by dc: an error may quote an address as well.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
}

// Encode encrypts each payload with the ring's first key. The key id is
// authenticated along with the data.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.encID]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("payloadcodec: marshal: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		_, _ = rand.Read(nonce)
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:              []byte(c.encID),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.encID)),
		}
	}
	return out, nil
}

// Decode decrypts encrypted payloads with the key their metadata names and
// passes any other payload through unchanged: histories written before
// encryption was turned on still replay and still show in the UI.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		id := string(p.Metadata[MetadataKeyID])
		aead, ok := c.aeads[id]
		if !ok {
			return payloads, fmt.Errorf("payloadcodec: payload encrypted with key %q, which GATEHOUSE_PAYLOAD_KEYS does not hold", id)
		}
		if len(p.Data) < aead.NonceSize() {
			return payloads, errors.New("payloadcodec: encrypted payload too short")
		}
		nonce, sealed := p.Data[:aead.NonceSize()], p.Data[aead.NonceSize():]
		plain, err := aead.Open(nil, nonce, sealed, []byte(id))
		if err != nil {
			return payloads, fmt.Errorf("payloadcodec: payload does not decrypt with key %q", id)
		}
		out[i] = &commonpb.Payload{}
		if err := proto.Unmarshal(plain, out[i]); err != nil {
			return payloads, fmt.Errorf("payloadcodec: unmarshal: %w", err)
		}
	}
	return out, nil
}
