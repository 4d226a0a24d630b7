package transfer

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestSanitizeName(t *testing.T) {
	long := strings.Repeat("é", 200) + ".txt"
	for _, tc := range []struct{ in, want string }{
		{"a.txt", "a.txt"},
		{"dir/sub/a.txt", "dir/sub/a.txt"},
		{".hidden", ".hidden"},
		{"../../etc/passwd", "etc/passwd"},
		{"a/../../b", "a/b"},
		{"./a/./b", "a/b"},
		{"/abs/path", "abs/path"},
		{"//server/share/x", "server/share/x"},
		{`..\..\win.ini`, "win.ini"},
		{`C:\Windows\system32\x.dll`, "C_/Windows/system32/x.dll"},
		{"C:", "C_"},
		{"file.txt:stream", "file.txt_stream"},
		{"CON", "_CON"},
		{"con.txt", "_con.txt"},
		{"Com1.log", "_Com1.log"},
		{"LPT9", "_LPT9"},
		{"com¹", "_com¹"},
		{"CONOUT$", "_CONOUT$"},
		{"nul .txt", "_nul .txt"},
		{"aux.tar.gz", "_aux.tar.gz"},
		{"CONSOLE.txt", "CONSOLE.txt"},
		{"COM10", "COM10"},
		{"dir/NUL/x", "dir/_NUL/x"},
		{"name. . ", "name"},
		{"trailing.txt.", "trailing.txt"},
		{"dir./file", "dir/file"},
		{" lead", " lead"},
		{"a\x00b\x1fc\x7fd\u0085e", "a_b_c_d_e"},
		{"evil\u202etxt.exe", "evil_txt.exe"},
		{"a:b*c?d\"e<f>g|h", "a_b_c_d_e_f_g_h"},
		{"a\xffb", "a_b"},
		{"e\u0301.txt", "\u00e9.txt"},
		{"x.tandem-partial", "x.tandem-partial_"},
		{"X.TANDEM-PARTIAL", "X.TANDEM-PARTIAL_"},
		{"", "file"},
		{".", "file"},
		{"..", "file"},
		{"...", "file"},
		{"/", "file"},
		{`\\`, "file"},
		{"  ", "file"},
		{long, strings.Repeat("é", (MaxComponentLen-4)/2) + ".txt"},
		{strings.Repeat("a", 300), strings.Repeat("a", MaxComponentLen)},
		{strings.Repeat("a", 255) + "." + strings.Repeat("b", 40), strings.Repeat("a", MaxComponentLen)},
		{"dir/" + strings.Repeat("€", 100), "dir/" + strings.Repeat("€", MaxComponentLen/3)},
	} {
		if got := SanitizeName(tc.in); got != tc.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNumbered(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"a.txt", 0, "a.txt"},
		{"a.txt", 1, "a (1).txt"},
		{"archive.tar.gz", 2, "archive.tar (2).gz"},
		{".bashrc", 1, ".bashrc (1)"},
		{"noext", 3, "noext (3)"},
	} {
		if got := numbered(tc.in, tc.n); got != tc.want {
			t.Errorf("numbered(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	if clashKey("É.TXT") != clashKey("e\u0301.txt") || clashKey("a") == clashKey("b") {
		t.Error("clashKey")
	}
	p := partialName(strings.Repeat("x", MaxComponentLen), "0123456789abcdef")
	if len(p) > 255 || !strings.HasSuffix(p, ".0123456789abcdef"+PartialSuffix) || !strings.HasPrefix(p, ".x") {
		t.Errorf("partial name %q", p)
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"a.txt", "../x", `C:\a\b`, "CON.txt", "e\u0301", "a. ", strings.Repeat("ü", 300),
		"x.tandem-partial", "\u202e", "a\x00b", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SanitizeName(in)
		if got == "" || !utf8.ValidString(got) || !filepath.IsLocal(filepath.FromSlash(got)) {
			t.Fatalf("SanitizeName(%q) = %q", in, got)
		}
		if again := SanitizeName(got); again != got {
			t.Fatalf("SanitizeName(%q) = %q, then %q", in, got, again)
		}
		for _, c := range strings.Split(got, "/") {
			switch {
			case c == "" || c == "." || c == "..":
				t.Fatalf("%q: component %q", got, c)
			case len(c) > MaxComponentLen:
				t.Fatalf("%q: component of %d bytes", got, len(c))
			case strings.HasSuffix(c, ".") || strings.HasSuffix(c, " "):
				t.Fatalf("%q: component %q ends in a dot or space", got, c)
			case strings.ContainsAny(c, "\\<>:\"|?*"):
				t.Fatalf("%q: forbidden character", got)
			case reservedOnWindows(c):
				t.Fatalf("%q: reserved name %q", got, c)
			case !norm.NFC.IsNormalString(c):
				t.Fatalf("%q: not NFC", got)
			case strings.HasSuffix(strings.ToLower(c), PartialSuffix):
				t.Fatalf("%q: looks like a partial file", got)
			}
			for _, r := range c {
				if badRune(r) {
					t.Fatalf("%q: character %U", got, r)
				}
			}
		}
	})
}

func TestMeter(t *testing.T) {
	var m meter
	t0 := time.Unix(1000, 0)
	if m.rate() != 0 {
		t.Fatal("rate before any sample")
	}
	for i := range 100 { // 100 MB/s for 10 s, a sample every 100 ms
		m.add(t0.Add(time.Duration(i)*100*time.Millisecond), uint64(i)*10_000_000)
	}
	if r := m.rate(); r < 99e6 || r > 101e6 {
		t.Fatalf("rate %.0f", r)
	}
	if l := left(500_000_000, m.rate()); l < 4900*time.Millisecond || l > 5100*time.Millisecond {
		t.Fatalf("left %v", l)
	}
	if left(1, 0) >= 0 || left(0, 0) != 0 {
		t.Fatal("left without a rate")
	}
}
