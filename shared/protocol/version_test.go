package protocol

import (
	"errors"
	"testing"
)

func TestNegotiate(t *testing.T) {
	h := func(min, max uint) Hello {
		return Hello{MinVersion: min, ProtocolVersion: max, Role: RoleCustomer}
	}
	us := h(MinVersion, Version)
	for _, tc := range []struct {
		name          string
		local, remote Hello
		want          uint
		mismatch      bool
		invalid       bool
	}{
		{"same", us, us, Version, false, false},
		{"overlap, peer newer", h(1, 3), h(2, 5), 3, false, false},
		{"overlap, peer older", h(2, 5), h(1, 3), 3, false, false},
		{"peer newer, accepts ours", h(1, 1), h(1, 4), 1, false, false},
		{"peer newer, dropped ours", h(1, 1), h(2, 4), 0, true, false},
		{"peer older than we accept", h(3, 4), h(1, 2), 0, true, false},
		{"single common", h(1, 2), h(2, 9), 2, false, false},
		{"local range empty", h(2, 1), us, 0, false, true},
		{"remote min 0", us, h(0, 1), 0, false, true},
		{"remote max 0", us, h(0, 0), 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Negotiate(tc.local, tc.remote)
			switch {
			case tc.mismatch:
				var ve *VersionError
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want *VersionError", err)
				}
				if ve.LocalMin != tc.local.MinVersion || ve.LocalMax != tc.local.ProtocolVersion ||
					ve.RemoteMin != tc.remote.MinVersion || ve.RemoteMax != tc.remote.ProtocolVersion {
					t.Fatalf("VersionError %+v", ve)
				}
				if CodeOf(err) != VersionMismatch || !errors.Is(err, &Error{Code: VersionMismatch}) {
					t.Fatalf("code %v", CodeOf(err))
				}
				if err.Error() == "" {
					t.Fatal("empty message")
				}
			case tc.invalid:
				wantCode(t, err, ProtocolViolation, ErrInvalid)
			default:
				if err != nil || got != tc.want {
					t.Fatalf("got %d, %v; want %d", got, err, tc.want)
				}
			}
		})
	}
	if got := (&VersionError{1, 1, 2, 3}).Error(); got != "protocol: version mismatch: we speak 1, peer speaks 2–3" {
		t.Errorf("message %q", got)
	}
}

func TestConstants(t *testing.T) {
	if ALPN != "tandem/1" || Version != 2 || MinVersion != 2 {
		t.Fatal("constants changed")
	}
	hello := &Hello{ProtocolVersion: Version, MinVersion: MinVersion, Role: RoleTechnician}
	if err := hello.Validate(); err != nil {
		t.Fatal(err)
	}
}
