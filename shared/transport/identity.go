package transport

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base32"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// ID is the SHA-256 of a peer's certificate (DER). For an unattended computer, whose certificate persists, it
// is the computer ID; for an attended session it only names this connection.
type ID [sha256.Size]byte

// String returns the ID as Syncthing shows device IDs: base32 without padding, in dash-separated groups of 7.
func (id ID) String() string {
	s := strings.TrimRight(base32.StdEncoding.EncodeToString(id[:]), "=")
	var b strings.Builder
	for i := 0; i < len(s); i += 7 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i:min(i+7, len(s))])
	}
	return b.String()
}

// Identity is a self-signed Ed25519 certificate and its key. The certificate proves nothing by itself: the
// key confirmation that follows the TLS handshake binds it to the support key or password.
type Identity struct {
	cert tls.Certificate
	id   ID
}

// NewIdentity makes a fresh Ed25519 identity (ephemeral, for an attended session).
func NewIdentity() (*Identity, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating identity key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generating certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(20 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		return nil, fmt.Errorf("creating certificate: %w", err)
	}
	return &Identity{
		cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv},
		id:   sha256.Sum256(der),
	}, nil
}

// ID returns the identity's certificate fingerprint.
func (i *Identity) ID() ID { return i.id }

// peerID checks that the peer presented exactly one Ed25519 certificate and returns its fingerprint.
func peerID(certs []*x509.Certificate) (ID, error) {
	if len(certs) != 1 {
		return ID{}, fmt.Errorf("peer presented %d certificates, want 1", len(certs))
	}
	if _, ok := certs[0].PublicKey.(ed25519.PublicKey); !ok {
		return ID{}, fmt.Errorf("peer certificate key is %T, want Ed25519", certs[0].PublicKey)
	}
	return sha256.Sum256(certs[0].Raw), nil
}
