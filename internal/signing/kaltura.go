// Package signing signs outbound webhook bodies so receivers can tell they
// came from us: Kaltura-style event notification signatures and Standard
// Webhooks (https://www.standardwebhooks.com/) signatures.
package signing

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
)

// Header names Kaltura event notifications use; receivers written for
// Kaltura look for exactly these.
const (
	HeaderKalturaSignature = "X-KALTURA-SIGNATURE"
	HeaderKalturaHashAlgo  = "X-KALTURA-HASH-ALGO"
)

// Algo is Kaltura's secureHashingAlgo: the hash behind X-KALTURA-SIGNATURE.
// The numbers are Kaltura's, so stored settings keep their meaning.
type Algo int

const (
	SHA1   Algo = 1
	SHA256 Algo = 2
	SHA384 Algo = 3
	SHA512 Algo = 4
	MD5    Algo = 5
)

// ParseAlgo maps a stored secureHashingAlgo to an Algo.
//
// 0 (unset) means SHA256. Kaltura itself falls back to sha1, but our docs
// promise that the common case can be checked with plain `sha256sum`, and a
// receiver reads the algorithm from X-KALTURA-HASH-ALGO anyway.
func ParseAlgo(n int) (Algo, error) {
	switch a := Algo(n); a {
	case 0:
		return SHA256, nil
	case SHA1, SHA256, SHA384, SHA512, MD5:
		return a, nil
	}
	return 0, fmt.Errorf("secureHashingAlgo %d is not supported: use 1 (sha1), 2 (sha256), 3 (sha384), 4 (sha512), 5 (md5), or 0 for the default sha256", n)
}

// Name is the value sent in X-KALTURA-HASH-ALGO. The zero Algo is SHA256,
// as in ParseAlgo, so an unset settings field signs the documented way.
func (a Algo) Name() string {
	switch a {
	case 0, SHA256:
		return "sha256"
	case SHA1:
		return "sha1"
	case SHA384:
		return "sha384"
	case SHA512:
		return "sha512"
	case MD5:
		return "md5"
	}
	return fmt.Sprintf("Algo(%d)", int(a))
}

func (a Algo) hash() hash.Hash {
	switch a {
	case 0, SHA256:
		return sha256.New()
	case SHA1:
		return sha1.New()
	case SHA384:
		return sha512.New384()
	case SHA512:
		return sha512.New()
	case MD5:
		return md5.New()
	}
	// Only reachable by converting an unchecked int; values from ParseAlgo
	// never get here, and signing with a guessed hash would fail silently
	// at the receiver.
	panic(fmt.Sprintf("signing: unknown %s; use ParseAlgo", a.Name()))
}

// KalturaSignature is lowercase hex of HASH(key + body). Kaltura concatenates
// rather than using HMAC, and receivers recompute it that way.
func KalturaSignature(a Algo, key string, body []byte) string {
	h := a.hash()
	h.Write([]byte(key))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// KalturaHeaders returns both Kaltura headers, so the signature and the
// algorithm it names cannot drift apart.
func KalturaHeaders(a Algo, key string, body []byte) http.Header {
	h := make(http.Header, 2)
	h.Set(HeaderKalturaSignature, KalturaSignature(a, key, body))
	h.Set(HeaderKalturaHashAlgo, a.Name())
	return h
}
