package joinstamp

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestStampRoundTrip(t *testing.T) {
	program := bytes.Repeat([]byte("\x7fELF program bytes "), 1000)
	for _, url := range []string{"nats://127.0.0.1:4222", "wss://rv.example.org:443#sha256=" + string(bytes.Repeat([]byte("ab"), 32))} {
		path := filepath.Join(t.TempDir(), "tandem-customer-123456789-x86_64.AppImage")
		var b bytes.Buffer
		b.Write(program)
		if err := Append(&b, url); err != nil {
			t.Fatal(err)
		}
		if int64(b.Len()-len(program)) != Size(url) {
			t.Fatalf("Append wrote %d bytes, Size says %d", b.Len()-len(program), Size(url))
		}
		if err := os.WriteFile(path, b.Bytes(), 0o755); err != nil {
			t.Fatal(err)
		}
		got, err := Read(path)
		if err != nil || got != url {
			t.Fatalf("Read = %q, %v; want %q", got, err, url)
		}
		if !bytes.Equal(b.Bytes()[:len(program)], program) {
			t.Fatal("the program's own bytes changed")
		}
	}
}

func TestReadRefusesWhatIsNoStamp(t *testing.T) {
	cases := map[string][]byte{
		"empty":           nil,
		"plain program":   bytes.Repeat([]byte{0x7f, 'E', 'L', 'F'}, 100),
		"magic only":      []byte(Magic),
		"zero length":     append([]byte{0, 0, 0, 0}, Magic...),
		"length too long": append([]byte("ab\x00\x00\x00\x10"), Magic...),
		"length > MaxURL": append(append(bytes.Repeat([]byte{'a'}, 5000), 0, 0, 0x13, 0x88), Magic...),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if got, err := Read(path); !errors.Is(err, ErrNoStamp) {
				t.Fatalf("Read = %q, %v; want ErrNoStamp", got, err)
			}
		})
	}
	if err := Append(&bytes.Buffer{}, ""); err == nil {
		t.Fatal("an empty URL was stamped")
	}
}

func TestKeyFromName(t *testing.T) {
	cases := []struct{ name, key string }{
		{"tandem-customer-123456789-x86_64.AppImage", "123456789"},
		{"/home/ann/Downloads/tandem-customer-123456789-x86_64.AppImage", "123456789"},
		{"Tandem Customer 123456789.msi", "123456789"},
		{"Tandem Customer 123456789 (1).msi", "123456789"},
		{"Tandem Customer 123456789.exe", "123456789"},
		{"tandem_customer_000000001.dmg", "000000001"},
		{"tandem-customer-0.9.0-x86_64.AppImage", ""},      // a release's own name: its version is no key
		{"tandem-customer-1234567890-x86_64.AppImage", ""}, // ten digits
		{"tandem-customer", ""},
		{"tandem-expert-123456789-x86_64.AppImage", ""},
		{"123456789", ""},
	}
	for _, c := range cases {
		if got := KeyFromName(c.name); got != c.key {
			t.Errorf("KeyFromName(%q) = %q, want %q", c.name, got, c.key)
		}
	}
	for _, p := range []string{"linux", "windows", "macos"} {
		name := FileName("123456789", p, "x86_64")
		if KeyFromName(name) != "123456789" {
			t.Errorf("FileName(%s) = %q carries no key", p, name)
		}
	}
}
