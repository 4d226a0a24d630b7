package transport

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base32"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/protocol"
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

// Certificate returns the identity's certificate (DER).
func (i *Identity) Certificate() []byte { return i.cert.Certificate[0] }

// Sign signs msg with the identity's Ed25519 key (an unattended computer proves to a rendezvous that it holds
// its identity, so that it alone is found under its ID).
func (i *Identity) Sign(msg []byte) []byte {
	return ed25519.Sign(i.cert.PrivateKey.(ed25519.PrivateKey), msg)
}

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

// PEM block types of a saved identity.
const (
	pemKey  = "PRIVATE KEY"
	pemCert = "CERTIFICATE"
)

// MarshalPEM returns the identity as PEM: its PKCS #8 private key, then its certificate. It is a secret: whoever
// holds it can present this identity (an unattended computer keeps it in a file only the system may read).
func (i *Identity) MarshalPEM() ([]byte, error) {
	key, err := x509.MarshalPKCS8PrivateKey(i.cert.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("encoding identity key: %w", err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: pemKey, Bytes: key})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: pemCert, Bytes: i.cert.Certificate[0]})...), nil
}

// ParseIdentity reads what MarshalPEM wrote, and checks that the certificate is an Ed25519 one for that key.
func ParseIdentity(b []byte) (*Identity, error) {
	var keyDER, certDER []byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		switch blk.Type {
		case pemKey:
			keyDER = blk.Bytes
		case pemCert:
			certDER = blk.Bytes
		}
	}
	if keyDER == nil || certDER == nil {
		return nil, errors.New("identity: want a private key and a certificate")
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("identity key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("identity key is %T, want Ed25519", k)
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("identity certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok || !pub.Equal(priv.Public()) {
		return nil, errors.New("identity: the certificate is not for the key")
	}
	return &Identity{
		cert: tls.Certificate{Certificate: [][]byte{certDER}, PrivateKey: priv},
		id:   sha256.Sum256(certDER),
	}, nil
}

// ParseID reads an ID as String writes it (dashes and case do not matter).
func ParseID(s string) (ID, error) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", ""))
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(b) != len(ID{}) {
		return ID{}, fmt.Errorf("%q is not a computer ID", s)
	}
	return ID(b), nil
}

// Probe connects to a listener at addr and returns the fingerprint of its certificate, without any key
// confirmation: the listener sees a connection that goes away before any proof, which costs its gate nothing.
// It tells whether an unattended computer is on, and still the one saved.
func Probe(ctx context.Context, addr string, me *Identity) (ID, error) {
	qc, err := dialQUIC(ctx, addr, DialConfig{Identity: me})
	if err != nil {
		return ID{}, &protocol.Error{Code: protocol.Unreachable, Detail: fmt.Sprintf("connecting to %s: %v", addr, err)}
	}
	defer func() { _ = qc.CloseWithError(quic.ApplicationErrorCode(protocol.Cancelled), "probe") }()
	id, err := peerID(qc.ConnectionState().TLS.PeerCertificates)
	if err != nil {
		return ID{}, &protocol.Error{Code: protocol.ProtocolViolation, Detail: err.Error()}
	}
	return id, nil
}
