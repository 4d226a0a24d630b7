package protocol

// ALPN is the TLS application protocol name Tandem negotiates on QUIC. Its
// "/1" names the wire framing of this package (stream headers, envelope),
// which protocol versions do not change.
const ALPN = "tandem/1"

// Protocol versions. Version is the newest this package speaks, MinVersion
// the oldest it accepts; a Hello announces both. Version 2 changed the key
// confirmation (transport: the dialer proves the key first), so version 1
// peers are told to update.
const (
	Version    uint = 2
	MinVersion uint = 2
)

// Negotiate picks the protocol version for a session: the highest version
// both Hellos accept, i.e. min of the ProtocolVersions if it is at least the
// max of the MinVersions. With no overlap it returns a *VersionError (code
// VersionMismatch) carrying both ranges; the host then ends the session
// with SessionEnd{Code: VersionMismatch} so the older side can tell its user
// to update. A Hello whose range is empty (MinVersion 0 or above its
// ProtocolVersion) is an *Error with code ProtocolViolation.
func Negotiate(local, remote Hello) (uint, error) {
	for _, h := range []*Hello{&local, &remote} {
		if h.MinVersion == 0 || h.MinVersion > h.ProtocolVersion {
			return 0, invalidf("hello: bad version range " + versionRange(h.MinVersion, h.ProtocolVersion))
		}
	}
	hi := min(local.ProtocolVersion, remote.ProtocolVersion)
	lo := max(local.MinVersion, remote.MinVersion)
	if hi < lo {
		return 0, &VersionError{
			LocalMin: local.MinVersion, LocalMax: local.ProtocolVersion,
			RemoteMin: remote.MinVersion, RemoteMax: remote.ProtocolVersion,
		}
	}
	return hi, nil
}
