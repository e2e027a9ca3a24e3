package notify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

func testCertificate(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

// A key pasted into sslCertificate (key first or last) is moved to the
// write-only sslKey before the template is stored.
func TestPrivateKeyInCertificateMovesToSSLKey(t *testing.T) {
	cert, key := testCertificate(t)
	for name, pasted := range map[string]string{"key last": cert + key, "key first": key + cert} {
		t.Run(name, func(t *testing.T) {
			tp := &NotificationTemplate{Name: "n", Type: TypeHTTP, EventType: "2", EventObjectType: "1", URL: "https://r.test/h", SSLCertificate: pasted}
			sec := &Secrets{}
			Normalize(tp)
			if errs := Validate(tp, sec, "t"); len(errs) != 0 {
				t.Fatalf("errors: %v", errs)
			}
			if strings.Contains(tp.SSLCertificate, "PRIVATE KEY") || !strings.Contains(tp.SSLCertificate, "BEGIN CERTIFICATE") {
				t.Fatalf("certificate kept the key:\n%s", tp.SSLCertificate)
			}
			if strings.TrimSpace(sec.SSLKey) != strings.TrimSpace(key) {
				t.Fatalf("key not moved to sslKey:\n%s", sec.SSLKey)
			}
			if _, err := ClientCertificate(tp, *sec); err != nil {
				t.Fatal(err)
			}
		})
	}
	if pub, k := SplitPrivateKey(cert); pub != cert || k != "" {
		t.Fatal("a certificate without a key changed")
	}
}
