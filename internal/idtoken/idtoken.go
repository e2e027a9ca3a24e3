// Package idtoken issues the ID tokens a portal trusts when Gatehouse has
// checked who a person is (password or email link): short-lived JWTs
// (ES256, go-jose) with OpenID Connect's claim names, signed with keys
// Gatehouse makes, keeps in MySQL (private halves sealed with a key derived
// from GATEHOUSE_PAYLOAD_KEYS) and rotates: one key per rotation period,
// the previous one still published for Grace after its successor appeared.
package idtoken

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"gatehouse/internal/payloadcodec"
	"gatehouse/internal/store"
)

// Token and key lifetimes.
const (
	TTL   = 2 * time.Minute // exp - iat of every token
	Grace = 24 * time.Hour  // how long a replaced key stays published
	// DefaultRotation is how long one key signs (GATEHOUSE_SIGNING_KEY_ROTATION).
	DefaultRotation = 30 * 24 * time.Hour
	// Algorithm is the only signature algorithm: ES256 is what every JWT
	// library verifies.
	Algorithm = jose.ES256
)

// Authentication methods (the amr claim, RFC 8176 names where one exists).
const (
	AMRPassword = "pwd"
	AMREmail    = "email" // the person used a link sent to their address
)

// sealPurpose names the key derived from the payload ring.
const sealPurpose = "signing-keys"

// Claims are what a token says. The standard ones (iss, sub, aud, exp, iat,
// nbf, jti) come from jwt.Claims.
type Claims struct {
	jwt.Claims
	Email      string   `json:"email"`
	GivenName  string   `json:"given_name,omitempty"`
	FamilyName string   `json:"family_name,omitempty"`
	Groups     []string `json:"groups"`
	Role       string   `json:"role"`
	Language   string   `json:"language,omitempty"`
	AuthTime   int64    `json:"auth_time"`
	AMR        []string `json:"amr"`
}

// Issuer signs tokens and publishes its keys.
type Issuer struct {
	Store    *store.Store
	Ring     payloadcodec.Ring // seals private keys; the first key seals new ones
	URL      string            // GATEHOUSE_PUBLIC_URL: the iss claim
	Rotation time.Duration     // 0: DefaultRotation
	Now      func() time.Time  // nil: time.Now (tests move time)

	mu       sync.Mutex
	keys     []signingKey // newest first
	loadedAt time.Time
}

type signingKey struct {
	kid     string
	created time.Time
	public  jose.JSONWebKey
	private *ecdsa.PrivateKey // nil when no configured key opens it
}

// Person is who signed in, and how.
type Person struct {
	SiteID, UserID, Email, FirstName, LastName string
	Groups                                     []string
	Role, Language                             string
	AMR                                        string // AMRPassword or AMREmail
	AuthTime                                   time.Time
}

func (is *Issuer) now() time.Time {
	if is.Now != nil {
		return is.Now().UTC()
	}
	return time.Now().UTC()
}

func (is *Issuer) rotation() time.Duration {
	if is.Rotation > 0 {
		return is.Rotation
	}
	return DefaultRotation
}

// period is the start of the rotation period holding t, and its key's id.
func (is *Issuer) period(t time.Time) (time.Time, string) {
	rot := is.rotation()
	start := time.Unix(0, 0).UTC().Add(t.Sub(time.Unix(0, 0)) / rot * rot)
	return start, "gh-" + start.Format("20060102T150405Z")
}

// Sign returns a signed ID token for p, audience p.SiteID, and its jti.
func (is *Issuer) Sign(ctx context.Context, p Person) (string, string, error) {
	k, err := is.current(ctx)
	if err != nil {
		return "", "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: Algorithm, Key: jose.JSONWebKey{Key: k.private, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", "", err
	}
	now := is.now()
	jti := rand.Text()
	groups := p.Groups
	if groups == nil {
		groups = []string{}
	}
	c := Claims{
		Claims: jwt.Claims{Issuer: is.URL, Subject: p.UserID, Audience: jwt.Audience{p.SiteID}, ID: jti,
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(TTL))},
		Email: p.Email, GivenName: p.FirstName, FamilyName: p.LastName, Groups: groups, Role: p.Role, Language: p.Language,
		AuthTime: p.AuthTime.Unix(), AMR: []string{p.AMR},
	}
	tok, err := jwt.Signed(signer).Claims(c).Serialize()
	return tok, jti, err
}

// JWKS is the published key set: the current key and, for Grace after it
// replaced it, the previous one.
func (is *Issuer) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	keys, err := is.load(ctx)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.public)
	}
	return set, nil
}

// Discovery is the OpenID Provider metadata: where the keys are and what
// tokens look like. Gatehouse is no full OpenID provider: it has no
// authorization or token endpoint; portals receive tokens on their
// sign-in callback.
func (is *Issuer) Discovery() map[string]any {
	return map[string]any{
		"issuer":                                is.URL,
		"jwks_uri":                              is.URL + "/.well-known/jwks.json",
		"response_types_supported":              []string{"id_token"},
		"response_modes_supported":              []string{"query", "form_post"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{string(Algorithm)},
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "amr", "email",
			"given_name", "family_name", "groups", "role", "language"},
		"amr_values_supported": []string{AMRPassword, AMREmail},
	}
}

// published is the oldest creation time still published at now: a key
// created at c is replaced at c+rotation and published until Grace later.
func (is *Issuer) published(now time.Time) time.Time {
	return now.Add(-is.rotation() - Grace + time.Nanosecond)
}

// load returns the published keys, newest first, making the current
// period's key if nobody has yet. Cached for a minute.
func (is *Issuer) load(ctx context.Context) ([]signingKey, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	now := is.now()
	start, kid := is.period(now)
	if len(is.keys) > 0 && is.keys[0].kid == kid && now.Sub(is.loadedAt) < time.Minute && now.After(is.loadedAt) {
		return is.visible(now), nil
	}
	rows, err := is.Store.SigningKeys(ctx, is.published(now))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || rows[0].KID != kid {
		row, err := is.newKey(kid, start)
		if err != nil {
			return nil, err
		}
		if err := is.Store.AddSigningKey(ctx, row); err != nil {
			return nil, err
		}
		// Keys nobody publishes any more are no use to anybody.
		if err := is.Store.DeleteSigningKeys(ctx, is.published(now)); err != nil {
			return nil, err
		}
		if rows, err = is.Store.SigningKeys(ctx, is.published(now)); err != nil {
			return nil, err
		}
	}
	keys := make([]signingKey, 0, len(rows))
	for _, r := range rows {
		k, err := is.open(r)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", r.KID, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 || keys[0].kid != kid {
		return nil, errors.New("the current signing key was not stored")
	}
	is.keys, is.loadedAt = keys, now
	return is.visible(now), nil
}

// visible drops cached keys whose grace ended.
func (is *Issuer) visible(now time.Time) []signingKey {
	from := is.published(now)
	var out []signingKey
	for _, k := range is.keys {
		if !k.created.Before(from) {
			out = append(out, k)
		}
	}
	return out
}

func (is *Issuer) current(ctx context.Context) (signingKey, error) {
	keys, err := is.load(ctx)
	if err != nil {
		return signingKey{}, err
	}
	if keys[0].private == nil {
		return signingKey{}, fmt.Errorf("signing key %s is sealed with a key GATEHOUSE_PAYLOAD_KEYS no longer holds", keys[0].kid)
	}
	return keys[0], nil
}

func (is *Issuer) newKey(kid string, created time.Time) (store.SigningKey, error) {
	if len(is.Ring) == 0 {
		return store.SigningKey{}, errors.New("GATEHOUSE_PAYLOAD_KEYS is needed to keep signing keys")
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return store.SigningKey{}, err
	}
	pub, err := jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: string(Algorithm), Use: "sig"}.MarshalJSON()
	if err != nil {
		return store.SigningKey{}, err
	}
	privJWK, err := jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: string(Algorithm), Use: "sig"}.MarshalJSON()
	if err != nil {
		return store.SigningKey{}, err
	}
	seal, err := is.Ring[0].Derive(sealPurpose)
	if err != nil {
		return store.SigningKey{}, err
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: seal, KeyID: is.Ring[0].ID}, nil)
	if err != nil {
		return store.SigningKey{}, err
	}
	obj, err := enc.Encrypt(privJWK)
	if err != nil {
		return store.SigningKey{}, err
	}
	sealed, err := obj.CompactSerialize()
	if err != nil {
		return store.SigningKey{}, err
	}
	return store.SigningKey{KID: kid, Algorithm: string(Algorithm), PublicJWK: string(pub), PrivateJWE: sealed, CreatedAt: created}, nil
}

// open reads a stored key; a private half no configured key opens is left
// nil (the key is still published).
func (is *Issuer) open(r store.SigningKey) (signingKey, error) {
	k := signingKey{kid: r.KID, created: r.CreatedAt.UTC()}
	if err := k.public.UnmarshalJSON([]byte(r.PublicJWK)); err != nil {
		return k, err
	}
	obj, err := jose.ParseEncrypted(r.PrivateJWE, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return k, err
	}
	for _, rk := range is.Ring {
		if rk.ID != obj.Header.KeyID {
			continue
		}
		seal, err := rk.Derive(sealPurpose)
		if err != nil {
			return k, err
		}
		plain, err := obj.Decrypt(seal)
		if err != nil {
			return k, err
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(plain); err != nil {
			return k, err
		}
		priv, ok := jwk.Key.(*ecdsa.PrivateKey)
		if !ok {
			return k, errors.New("not an ECDSA private key")
		}
		k.private = priv
	}
	return k, nil
}
