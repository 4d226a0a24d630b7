package cpace

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/gtank/ristretto255"
)

// hx decodes a hex string, ignoring white space, so that values can be
// pasted verbatim from the draft.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test vector: %v", err)
	}
	return b
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// Appendix A.1.2 and A.1.4 of draft-irtf-cfrg-cpace-21.
func TestPrependLenAndLvCat(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"prepend_len(b\"\")", prependLen(nil, nil), "00"},
		{"prepend_len(b\"1234\")", prependLen(nil, []byte("1234")), "0431323334"},
		{"prepend_len(range(127))", prependLen(nil, seq(127)), `
			7f000102030405060708090a0b0c0d0e0f101112131415161718191a1b
			1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738
			393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455
			565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172
			737475767778797a7b7c7d7e`},
		{"prepend_len(range(128))", prependLen(nil, seq(128)), `
			8001000102030405060708090a0b0c0d0e0f101112131415161718191a
			1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637
			38393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f5051525354
			55565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f7071
			72737475767778797a7b7c7d7e7f`},
		{"lv_cat(1234,5,,678)", lvCat([]byte("1234"), []byte("5"), []byte(""), []byte("678")), "043132333401350003363738"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if want := hx(t, tc.want); !bytes.Equal(tc.got, want) {
				t.Errorf("got %x, want %x", tc.got, want)
			}
		})
	}
	for _, n := range []int{0, 1, 127, 128, 300, 16383, 16384} {
		if got, want := lenPrependLen(seq(n)), len(prependLen(nil, seq(n))); got != want {
			t.Errorf("lenPrependLen(%d bytes) = %d, want %d", n, got, want)
		}
	}
}

// Appendix A.3.3, A.3.5 and A.3.7 of draft-irtf-cfrg-cpace-21.
func TestOrderedConcatenationAndTranscripts(t *testing.T) {
	larger := []struct {
		a, b string
		want bool
	}{
		{"\x00", "\x00\x00", false},
		{"\x01", "\x00\x00", true},
		{"\x00\x00", "\x00", true},
		{"\x00\x00", "\x01", false},
		{"\x00\x01", "\x01", false},
		{"ABCD", "BCD", false},
	}
	for _, tc := range larger {
		if got := lexicographicallyLarger([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("lexiographically_larger(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}

	b := func(s string) []byte { return []byte(s) }
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"o_cat(ABCD,BCD)", oCat(b("ABCD"), b("BCD")), "6f6342434441424344"},
		{"o_cat(BCD,ABCDE)", oCat(b("BCD"), b("ABCDE")), "6f634243444142434445"},
		{"transcript_ir(123,PartyA,234,PartyB)", transcriptIR(b("123"), b("PartyA"), b("234"), b("PartyB")),
			"03313233065061727479410332333406506172747942"},
		{"transcript_ir(3456,PartyA,2345,PartyB)", transcriptIR(b("3456"), b("PartyA"), b("2345"), b("PartyB")),
			"043334353606506172747941043233343506506172747942"},
		{"transcript_oc(123,PartyA,234,PartyB)", transcriptOC(b("123"), b("PartyA"), b("234"), b("PartyB")),
			"6f6303323334065061727479420331323306506172747941"},
		{"transcript_oc(3456,PartyA,2345,PartyB)", transcriptOC(b("3456"), b("PartyA"), b("2345"), b("PartyB")),
			"6f63043334353606506172747941043233343506506172747942"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if want := hx(t, tc.want); !bytes.Equal(tc.got, want) {
				t.Errorf("got %x, want %x", tc.got, want)
			}
		})
	}
}

// Appendix B.3 of draft-irtf-cfrg-cpace-21: CPace using group ristretto255
// and hash SHA-512.
type vectorB3 struct {
	prs, ci, sid    string
	genStr          string // generator_string(G.DSI,PRS,CI,sid,H.s_in_bytes)
	zpad            int
	genHash         string // hash result
	g               string // encoded generator g
	ya, ada, Ya     string
	yb, adb, Yb     string
	K               string
	transcriptIR    string
	iskInputIR      string // lv_cat(DSI,sid,K)||transcript_ir(Ya,ADa,Yb,ADb)
	iskIR           string
	transcriptOC    string
	iskInputOC      string // lv_cat(DSI,sid,K)||transcript_oc(Ya,ADa,Yb,ADb)
	iskSY           string
	sidOutIR        string // H.hash(b"CPaceSidOutput" + transcript_ir(...))
	sidOutOC        string // H.hash(b"CPaceSidOutput" + transcript_oc(...))
	dsiISK          string
	validS, validX  string // B.3.10
	validSX         string // G.scalar_mult(s,decode(X)) = G.scalar_mult_vfy(s,X)
	invalidY1       string // B.3.11
	invalidIdentity string
}

var b3 = vectorB3{
	prs: "50617373776f7264", // b'Password'
	ci:  "0b415f696e69746961746f720b425f726573706f6e646572",
	sid: "7e4b4791d6a8ef019b936c79fb7f2c57",
	genStr: `
         11435061636552697374726574746f3235350850617373776f726464
         00000000000000000000000000000000000000000000000000000000
         00000000000000000000000000000000000000000000000000000000
         00000000000000000000000000000000000000000000000000000000
         00000000000000000000000000000000180b415f696e69746961746f
         720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f
         2c57`,
	zpad: 100,
	genHash: `
         da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288
         b6663af06bf645c93cd1c51512307199c80e84908916d983b34af772
         05f90851a657ee27`,
	g: `
         222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5
         698c7e56`,
	ya: `
         da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4f
         f0976d08`,
	ada: "414461", // b'ADa'
	Ya: `
         d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec
         482b9157`,
	yb: `
         d2316b454718c35362d83d69df6320f38578ed5984651435e2949762
         d900b80d`,
	adb: "414462", // b'ADb'
	Yb: `
         3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7
         433f7258`,
	K: `
         80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc98
         87c8b40f`,
	transcriptIR: `
         20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0e
         ec482b915703414461203ea7e0b19560d7c0b0f5734f63b955286dfa
         8232b5ebe63324e2d9e7433f725803414462`,
	dsiISK: "435061636552697374726574746f3235355f49534b",
	iskInputIR: `
         15435061636552697374726574746f3235355f49534b107e4b4791d6
         a8ef019b936c79fb7f2c572080b69a8a76457ab6a4d7f887a4bf6b55
         a2f80ac19c333f917a05fc9887c8b40f20d6bac480f2c386c394efc7
         c47adb9925dcd2630b64f240c50f8d0eec482b915703414461203ea7
         e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f
         725803414462`,
	iskIR: `
         b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dc
         ae7b35cd2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c
         3fa2068af7900447`,
	transcriptOC: `
         6f6320d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f
         8d0eec482b915703414461203ea7e0b19560d7c0b0f5734f63b95528
         6dfa8232b5ebe63324e2d9e7433f725803414462`,
	iskInputOC: `
         15435061636552697374726574746f3235355f49534b107e4b4791d6
         a8ef019b936c79fb7f2c572080b69a8a76457ab6a4d7f887a4bf6b55
         a2f80ac19c333f917a05fc9887c8b40f6f6320d6bac480f2c386c394
         efc7c47adb9925dcd2630b64f240c50f8d0eec482b91570341446120
         3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7
         433f725803414462`,
	iskSY: `
         544199d71f62f8d9a1fee55727e24fe4a45844593c2b6013c4fa3969
         d0e5debb2244675c0b43397cbb68d342b01fc0f98fc961469a25134d
         e9f0f813c1a57476`,
	sidOutIR: `
         bb1c449b35f0ea79a65c209f329a693d475e0ce2387bed9fe4b78f60
         b2a27c219813fb2cfe175ef40d2222d9261e66da7d78f7c55a303b1b
         8611dcdfab880c47`,
	sidOutOC: `
         10d5941d4933497fe31b9188d690b84465e2a2d158332a7267284a07
         1a8d0876fc5c8c329dc735d59a9f8ef6623ee23924704a2f929dd631
         ca981227ee82fff2`,
	validS: `
         7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88
         cf538a05`,
	validX: `
         2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d6
         54b4a51c`,
	validSX: `
         7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e
         7f6b600e`,
	invalidY1: `
         2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d6
         54b4a51c`,
	invalidIdentity: `
         00000000000000000000000000000000000000000000000000000000
         00000000`,
}

func scalar(t testing.TB, s string) *ristretto255.Scalar {
	t.Helper()
	y := ristretto255.NewScalar()
	if err := y.Decode(hx(t, s)); err != nil {
		t.Fatalf("decode scalar: %v", err)
	}
	return y
}

// TestVectorsB3 checks every intermediate value of Appendix B.3 that this
// package computes: generator string, its hash, g, Ya, Yb, K (both ways),
// the ISK hash inputs, ISK (initiator–responder and symmetric) and the
// optional sid output.
func TestVectorsB3(t *testing.T) {
	v := b3
	prs, ci, sid := hx(t, v.prs), hx(t, v.ci), hx(t, v.sid)
	ada, adb := hx(t, v.ada), hx(t, v.adb)

	// B.3.1: generator.
	if got := max(0, hashBlockSize-1-lenPrependLen(prs)-lenPrependLen([]byte(dsi))); got != v.zpad {
		t.Errorf("ZPAD length = %d, want %d", got, v.zpad)
	}
	genStr := generatorString([]byte(dsi), prs, ci, sid, hashBlockSize)
	if want := hx(t, v.genStr); !bytes.Equal(genStr, want) {
		t.Errorf("generator_string = %x, want %x", genStr, want)
	}
	if h, want := sha512.Sum512(genStr), hx(t, v.genHash); !bytes.Equal(h[:], want) {
		t.Errorf("hash result = %x, want %x", h, want)
	}
	g := calculateGenerator(prs, ci, sid)
	if got, want := g.Encode(nil), hx(t, v.g); !bytes.Equal(got, want) {
		t.Errorf("g = %x, want %x", got, want)
	}

	// B.3.2/B.3.3: shares, computed through Start with the vector scalars
	// injected as the randomness source (the scalars are below 2^252, so
	// sample_scalar returns them unchanged).
	for _, tc := range []struct {
		name  string
		y, Y  string
		ad    []byte
		role  Role
		other Role
	}{
		{"Ya", v.ya, v.Ya, ada, Initiator, Responder},
		{"Yb", v.yb, v.Yb, adb, Responder, Initiator},
	} {
		_, msg, err := Start(tc.role, prs, ci, sid, tc.ad, bytes.NewReader(hx(t, tc.y)))
		if err != nil {
			t.Fatalf("%s: Start: %v", tc.name, err)
		}
		if want := hx(t, tc.Y); !bytes.Equal(msg, want) {
			t.Errorf("%s = %x, want %x", tc.name, msg, want)
		}
		// G.scalar_mult(y, g) directly.
		Y := ristretto255.NewElement().ScalarMult(scalar(t, tc.y), g).Encode(nil)
		if want := hx(t, tc.Y); !bytes.Equal(Y, want) {
			t.Errorf("scalar_mult(%s) = %x, want %x", tc.name, Y, want)
		}
	}

	// B.3.4: K.
	Ya, Yb, wantK := hx(t, v.Ya), hx(t, v.Yb), hx(t, v.K)
	for _, tc := range []struct {
		name string
		y    string
		X    []byte
	}{{"scalar_mult_vfy(ya,Yb)", v.ya, Yb}, {"scalar_mult_vfy(yb,Ya)", v.yb, Ya}} {
		k, err := scalarMultVfy(scalar(t, tc.y), tc.X)
		if err != nil || !bytes.Equal(k, wantK) {
			t.Errorf("%s = %x, %v; want %x", tc.name, k, err, wantK)
		}
	}

	// B.3.5/B.3.6: transcripts, ISK hash inputs and ISKs.
	if got := []byte(dsiISK); !bytes.Equal(got, hx(t, v.dsiISK)) {
		t.Errorf("DSI_ISK = %x, want %s", got, v.dsiISK)
	}
	tIR, tOC := transcriptIR(Ya, ada, Yb, adb), transcriptOC(Ya, ada, Yb, adb)
	for _, tc := range []struct {
		name, want string
		got        []byte
	}{
		{"transcript_ir", v.transcriptIR, tIR},
		{"transcript_oc", v.transcriptOC, tOC},
		{"ISK input ir", v.iskInputIR, append(lvCat([]byte(dsiISK), sid, wantK), tIR...)},
		{"ISK input oc", v.iskInputOC, append(lvCat([]byte(dsiISK), sid, wantK), tOC...)},
		{"ISK ir", v.iskIR, deriveISK(sid, wantK, tIR)},
		{"ISK sy", v.iskSY, deriveISK(sid, wantK, tOC)},
	} {
		if want := hx(t, tc.want); !bytes.Equal(tc.got, want) {
			t.Errorf("%s = %x, want %x", tc.name, tc.got, want)
		}
	}

	// B.3.7: optional sid output, H.hash(b"CPaceSidOutput" || transcript).
	for _, tc := range []struct {
		name, want string
		t          []byte
	}{{"sid_output_ir", v.sidOutIR, tIR}, {"sid_output_oc", v.sidOutOC, tOC}} {
		h := sha512.Sum512(append([]byte("CPaceSidOutput"), tc.t...))
		if want := hx(t, tc.want); !bytes.Equal(h[:], want) {
			t.Errorf("%s = %x, want %x", tc.name, h, want)
		}
	}
}

// TestProtocolVectorsB3 runs the full API for both settings with the vector
// scalars and checks the resulting ISK on both sides.
func TestProtocolVectorsB3(t *testing.T) {
	v := b3
	prs, ci, sid := hx(t, v.prs), hx(t, v.ci), hx(t, v.sid)
	ada, adb := hx(t, v.ada), hx(t, v.adb)
	tests := []struct {
		name       string
		roleA      Role
		roleB      Role
		wantISK    string
		wantYa, Yb string
	}{
		{"initiator-responder", Initiator, Responder, v.iskIR, v.Ya, v.Yb},
		{"symmetric", Symmetric, Symmetric, v.iskSY, v.Ya, v.Yb},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, msgA, err := Start(tc.roleA, prs, ci, sid, ada, bytes.NewReader(hx(t, v.ya)))
			if err != nil {
				t.Fatal(err)
			}
			b, msgB, err := Start(tc.roleB, prs, ci, sid, adb, bytes.NewReader(hx(t, v.yb)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(msgA, hx(t, tc.wantYa)) || !bytes.Equal(msgB, hx(t, tc.Yb)) {
				t.Fatalf("messages %x, %x do not match the vectors", msgA, msgB)
			}
			iskA, err := a.Finish(msgB, adb)
			if err != nil {
				t.Fatal(err)
			}
			iskB, err := b.Finish(msgA, ada)
			if err != nil {
				t.Fatal(err)
			}
			want := hx(t, tc.wantISK)
			if !bytes.Equal(iskA, want) || !bytes.Equal(iskB, want) {
				t.Errorf("ISK A = %x, B = %x, want %x", iskA, iskB, want)
			}
		})
	}
}

// Appendix B.3.10 and B.3.11.
func TestScalarMultVfyB3(t *testing.T) {
	v := b3
	s := scalar(t, v.validS)
	X := ristretto255.NewElement()
	if err := X.Decode(hx(t, v.validX)); err != nil {
		t.Fatal(err)
	}
	want := hx(t, v.validSX)
	if got := ristretto255.NewElement().ScalarMult(s, X).Encode(nil); !bytes.Equal(got, want) {
		t.Errorf("scalar_mult(s,decode(X)) = %x, want %x", got, want)
	}
	if got, err := scalarMultVfy(s, hx(t, v.validX)); err != nil || !bytes.Equal(got, want) {
		t.Errorf("scalar_mult_vfy(s,X) = %x, %v; want %x", got, err, want)
	}

	for _, tc := range []struct{ name, Y string }{
		{"Y_i1 (invalid encoding)", v.invalidY1},
		{"Y_i2 (identity)", v.invalidIdentity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := scalarMultVfy(s, hx(t, tc.Y)); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("scalar_mult_vfy = %x, %v; want ErrInvalidMessage", got, err)
			}
			// The protocol MUST abort when the point is in a message.
			for _, role := range []Role{Initiator, Responder, Symmetric} {
				st, _, err := Start(role, []byte("Password"), nil, nil, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if isk, err := st.Finish(hx(t, tc.Y), nil); !errors.Is(err, ErrInvalidMessage) || isk != nil {
					t.Errorf("%v: Finish = %x, %v; want ErrInvalidMessage", role, isk, err)
				}
			}
		})
	}
}

type params struct {
	prs, ci, sid, ad []byte
}

func run(t *testing.T, roleA, roleB Role, pa, pb params) (iskA, iskB []byte) {
	t.Helper()
	a, msgA, err := Start(roleA, pa.prs, pa.ci, pa.sid, pa.ad, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, msgB, err := Start(roleB, pb.prs, pb.ci, pb.sid, pb.ad, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgA) != MessageSize || len(msgB) != MessageSize {
		t.Fatalf("message sizes %d, %d", len(msgA), len(msgB))
	}
	if iskA, err = a.Finish(msgB, pb.ad); err != nil {
		t.Fatal(err)
	}
	if iskB, err = b.Finish(msgA, pa.ad); err != nil {
		t.Fatal(err)
	}
	if len(iskA) != ISKSize || len(iskB) != ISKSize {
		t.Fatalf("ISK sizes %d, %d", len(iskA), len(iskB))
	}
	return iskA, iskB
}

func TestProperties(t *testing.T) {
	base := params{
		prs: []byte("correct horse battery staple"),
		ci:  []byte("tls-exporter|fp-initiator|fp-responder"),
		sid: []byte("session-1"),
		ad:  []byte("ad"),
	}
	with := func(f func(*params)) params { p := base; f(&p); return p }
	long := bytes.Repeat([]byte{0xa5}, 1000) // PRS longer than a hash block

	tests := []struct {
		name         string
		roleA, roleB Role
		a, b         params
		same         bool
	}{
		{"same inputs IR", Initiator, Responder, base, base, true},
		{"same inputs symmetric", Symmetric, Symmetric, base, base, true},
		{"empty optional inputs", Initiator, Responder, params{prs: []byte("pw")}, params{prs: []byte("pw")}, true},
		{"long PRS", Initiator, Responder, with(func(p *params) { p.prs = long }), with(func(p *params) { p.prs = long }), true},
		{"different AD per side", Initiator, Responder, base, with(func(p *params) { p.ad = []byte("other") }), true},
		{"different password", Initiator, Responder, base, with(func(p *params) { p.prs = []byte("wrong") }), false},
		{"different password symmetric", Symmetric, Symmetric, base, with(func(p *params) { p.prs = []byte("wrong") }), false},
		{"different CI", Initiator, Responder, base, with(func(p *params) { p.ci = []byte("other channel") }), false},
		{"different CI symmetric", Symmetric, Symmetric, base, with(func(p *params) { p.ci = []byte("other channel") }), false},
		{"different sid", Initiator, Responder, base, with(func(p *params) { p.sid = []byte("session-2") }), false},
		{"both initiators", Initiator, Initiator, base, base, false},
		{"both responders", Responder, Responder, base, base, false},
		{"IR vs symmetric", Initiator, Symmetric, base, base, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			iskA, iskB := run(t, tc.roleA, tc.roleB, tc.a, tc.b)
			if got := bytes.Equal(iskA, iskB); got != tc.same {
				t.Errorf("ISKs equal = %v, want %v (A %x, B %x)", got, tc.same, iskA, iskB)
			}
		})
	}

	// Tampered AD in transit: both sides see different transcripts.
	t.Run("tampered AD", func(t *testing.T) {
		a, msgA, _ := Start(Initiator, base.prs, base.ci, base.sid, []byte("adA"), nil)
		b, msgB, _ := Start(Responder, base.prs, base.ci, base.sid, []byte("adB"), nil)
		iskA, errA := a.Finish(msgB, []byte("adB"))
		iskB, errB := b.Finish(msgA, []byte("adX"))
		if errA != nil || errB != nil || bytes.Equal(iskA, iskB) {
			t.Errorf("tampered AD: errs %v %v, equal %v", errA, errB, bytes.Equal(iskA, iskB))
		}
	})

	// Fresh randomness gives fresh keys.
	t.Run("fresh sessions", func(t *testing.T) {
		i1, _ := run(t, Initiator, Responder, base, base)
		i2, _ := run(t, Initiator, Responder, base, base)
		if bytes.Equal(i1, i2) {
			t.Error("two runs produced the same ISK")
		}
	})
}

func TestRejectsMalformedPeerMessage(t *testing.T) {
	_, valid, err := Start(Responder, []byte("pw"), nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	nonCanonical := bytes.Repeat([]byte{0xff}, 32) // >= p
	nonCanonical[31] = 0x7f
	negative := make([]byte, 32) // s = 1 is "negative" (odd)
	negative[0] = 1
	tests := []struct {
		name string
		msg  []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"short", valid[:31]},
		{"long", append(bytes.Clone(valid), 0)},
		{"identity", make([]byte, 32)},
		{"invalid encoding B.3.11 Y_i1", hx(t, b3.invalidY1)},
		{"non-canonical field element", nonCanonical},
		{"negative field element", negative},
		{"all ones", bytes.Repeat([]byte{0xff}, 32)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, role := range []Role{Initiator, Responder, Symmetric} {
				s, _, err := Start(role, []byte("pw"), nil, nil, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if isk, err := s.Finish(tc.msg, nil); !errors.Is(err, ErrInvalidMessage) || isk != nil {
					t.Errorf("%v: Finish = %x, %v; want ErrInvalidMessage", role, isk, err)
				}
				// The state is consumed even by a failed Finish.
				if _, err := s.Finish(valid, nil); !errors.Is(err, ErrStateUsed) {
					t.Errorf("%v: second Finish error = %v, want ErrStateUsed", role, err)
				}
			}
		})
	}
}

func TestStateSingleUse(t *testing.T) {
	a, msgA, _ := Start(Initiator, []byte("pw"), nil, nil, nil, nil)
	b, msgB, _ := Start(Responder, []byte("pw"), nil, nil, nil, nil)
	if _, err := a.Finish(msgB, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Finish(msgB, nil); !errors.Is(err, ErrStateUsed) {
		t.Errorf("second Finish error = %v, want ErrStateUsed", err)
	}
	if _, err := b.Finish(msgA, nil); err != nil {
		t.Fatal(err)
	}
	var nilState *State
	if _, err := nilState.Finish(msgA, nil); !errors.Is(err, ErrStateUsed) {
		t.Errorf("nil state Finish error = %v, want ErrStateUsed", err)
	}
}

func TestStartErrors(t *testing.T) {
	for _, r := range []Role{0, 4, -1} {
		if _, _, err := Start(r, []byte("pw"), nil, nil, nil, nil); err == nil {
			t.Errorf("Start(%v) succeeded", r)
		}
	}
	if _, _, err := Start(Initiator, []byte("pw"), nil, nil, nil, bytes.NewReader(make([]byte, 10))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short randomness: err = %v", err)
	}
	if _, _, err := Start(Initiator, []byte("pw"), nil, nil, nil, bytes.NewReader(nil)); !errors.Is(err, io.EOF) {
		t.Errorf("empty randomness: err = %v", err)
	}
	// Zero scalar (also after masking the top bits) is rejected.
	zero := make([]byte, 32)
	zero[31] = 0xf0
	if _, _, err := Start(Initiator, []byte("pw"), nil, nil, nil, bytes.NewReader(zero)); err == nil {
		t.Error("zero scalar accepted")
	}
}

func TestSampleScalarClearsHighBits(t *testing.T) {
	y, err := sampleScalar(bytes.NewReader(bytes.Repeat([]byte{0xff}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte{0xff}, 32)
	want[31] = 0x0f // 2^252 - 1
	if got := y.Encode(nil); !bytes.Equal(got, want) {
		t.Errorf("scalar = %x, want %x", got, want)
	}
}

func TestStartCopiesInputs(t *testing.T) {
	sid, ad := []byte("sid"), []byte("ad")
	a, msgA, _ := Start(Initiator, []byte("pw"), nil, sid, ad, nil)
	b, msgB, _ := Start(Responder, []byte("pw"), nil, []byte("sid"), nil, nil)
	sid[0], ad[0] = 'X', 'X'
	msgA0 := bytes.Clone(msgA)
	msgA[0] ^= 1 // caller mutating the returned message must not affect the state
	iskA, _ := a.Finish(msgB, nil)
	iskB, _ := b.Finish(msgA0, []byte("ad"))
	if !bytes.Equal(iskA, iskB) {
		t.Error("caller mutation of inputs/outputs changed the state")
	}
}

func FuzzFinish(f *testing.F) {
	f.Add(hx(f, b3.Yb), hx(f, b3.adb))
	f.Add(hx(f, b3.Ya), []byte{})
	f.Add(hx(f, b3.invalidY1), []byte(nil))
	f.Add(hx(f, b3.invalidIdentity), []byte("x"))
	f.Add(hx(f, b3.validX), []byte("ad"))
	f.Add([]byte{}, []byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 33), bytes.Repeat([]byte{0}, 200))
	ya := hx(f, b3.ya)
	prs, ci, sid := hx(f, b3.prs), hx(f, b3.ci), hx(f, b3.sid)
	f.Fuzz(func(t *testing.T, msg, ad []byte) {
		for _, role := range []Role{Initiator, Responder, Symmetric} {
			s, _, err := Start(role, prs, ci, sid, []byte("ADa"), bytes.NewReader(ya))
			if err != nil {
				t.Fatal(err)
			}
			isk, err := s.Finish(msg, ad)
			if err != nil {
				if isk != nil || !errors.Is(err, ErrInvalidMessage) {
					t.Fatalf("Finish = %x, %v", isk, err)
				}
				continue
			}
			if len(isk) != ISKSize {
				t.Fatalf("ISK length %d", len(isk))
			}
			// Accepted messages are canonical encodings of non-identity elements.
			e := ristretto255.NewElement()
			if len(msg) != MessageSize || e.Decode(msg) != nil || e.Equal(ristretto255.NewElement()) == 1 {
				t.Fatalf("accepted invalid message %x", msg)
			}
		}
	})
}

func TestConfirmationTag(t *testing.T) {
	p := params{prs: []byte("314159265"), ci: []byte("ci"), sid: []byte("sid-0123456789ab"), ad: []byte{1, 1}}
	iskA, iskB := run(t, Initiator, Responder, p, p)
	y := bytes.Repeat([]byte{7}, MessageSize)
	tag := ConfirmationTag(p.sid, iskA, y, p.ad)
	if len(tag) != 64 || !bytes.Equal(tag, ConfirmationTag(p.sid, iskB, y, p.ad)) {
		t.Fatal("both sides must compute the same tag from the same ISK")
	}
	wrong := p
	wrong.prs = []byte("314159266")
	iskC, _ := run(t, Initiator, Responder, p, wrong)
	for name, other := range map[string][]byte{
		"other ISK": ConfirmationTag(p.sid, iskC, y, p.ad),
		"other sid": ConfirmationTag([]byte("sid-0123456789ac"), iskA, y, p.ad),
		"other Y":   ConfirmationTag(p.sid, iskA, bytes.Repeat([]byte{8}, MessageSize), p.ad),
		"other AD":  ConfirmationTag(p.sid, iskA, y, []byte{1, 2}),
		// lv_cat keeps Y and AD apart: moving a byte from one to the other changes the tag.
		"shifted": ConfirmationTag(p.sid, iskA, y[:MessageSize-1], append([]byte{7}, p.ad...)),
	} {
		if bytes.Equal(tag, other) {
			t.Errorf("%s gives the same tag", name)
		}
	}
}
