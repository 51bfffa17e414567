package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ---- helpers -------------------------------------------------------------

// cli runs one command in-process and returns stdout, stderr and the exit status.
func cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

// ok runs a command that must succeed and decodes its single JSON line into v.
func ok(t *testing.T, v any, args ...string) {
	t.Helper()
	out, stderr, code := cli(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d, stderr: %s", args, code, stderr)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("%v: want exactly one line of output, got %q", args, out)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%v: output %q is not JSON: %v", args, out, err)
		}
	}
}

// fails runs a command that must exit with the given status and a message on stderr.
func fails(t *testing.T, want int, args ...string) string {
	t.Helper()
	out, stderr, code := cli(t, args...)
	if code != want {
		t.Fatalf("%v: exit %d, want %d (stdout %q, stderr %q)", args, code, want, out, stderr)
	}
	if out != "" || stderr == "" {
		t.Fatalf("%v: want empty stdout and a message on stderr, got stdout %q stderr %q", args, out, stderr)
	}
	t.Logf("exit %d: %s", code, strings.SplitN(stderr, "\n", 2)[0]) // shows why, under -v
	return stderr
}

func write(t *testing.T, name string, data any) string {
	t.Helper()
	var b []byte
	switch d := data.(type) {
	case string:
		b = []byte(d)
	case []byte:
		b = d
	default:
		var err error
		if b, err = json.Marshal(d); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type keyPair struct {
	SKey string `json:"skey"`
	VKey string `json:"vkey"`
}

func logKey(t *testing.T, name string) keyPair {
	t.Helper()
	var k keyPair
	ok(t, &k, "log-key", "--name", name)
	return k
}

func witnessKey(t *testing.T, name string) keyPair {
	t.Helper()
	var k keyPair
	ok(t, &k, "witness-key", "--name", name)
	return k
}

func signCheckpoint(t *testing.T, skey, origin string, size int64, root tlog.Hash) string {
	t.Helper()
	var r struct{ Note string }
	ok(t, &r, "sign-checkpoint", "--skey", skey, "--origin", origin, "--size", strconv.FormatInt(size, 10), "--root", root.String())
	return r.Note
}

type cosigned struct {
	Note          string `json:"note"`
	SignatureLine string `json:"signatureLine"`
}

func b64s(hs []tlog.Hash) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, h.String())
	}
	return out
}

func hexHash(t *testing.T, s string) tlog.Hash {
	t.Helper()
	var h tlog.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		t.Fatalf("bad hex hash %q", s)
	}
	copy(h[:], b)
	return h
}

// flip returns the base64 hash with one bit of its first byte flipped.
func flip(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}

// specKeyID is the key ID formula from c2sp.org/signed-note, written out here
// independently of the libraries so the tests check them against the spec text.
func specKeyID(name string, typ byte, pub []byte) string {
	h := sha256.Sum256(append(append([]byte(name+"\n"), typ), pub...))
	return hex.EncodeToString(h[:4])
}

// ---- known-answer tests from the specs -------------------------------------

// The example of c2sp.org/signed-note ("Verifier keys" section).
const (
	specVKey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
	specNote = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

func TestSignedNoteSpecExample(t *testing.T) {
	v, err := logVerifier(specVKey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(specNote), note.VerifierList(v))
	if err != nil {
		t.Fatalf("spec example does not verify: %v", err)
	}
	if n.Text != "This is an example message.\n" || len(n.Sigs) != 1 {
		t.Fatalf("unexpected note %+v", n)
	}
	// The vkey's key ID is the spec formula over the key it carries.
	raw, _ := base64.StdEncoding.DecodeString(strings.SplitN(specVKey, "+", 3)[2])
	if id := specKeyID("example.com/foo", raw[0], raw[1:]); id != "530d903a" {
		t.Fatalf("spec key ID formula gives %s", id)
	}
	// One changed character of text, or an extra unknown signature, behave as the spec says.
	if _, err := note.Open([]byte(strings.Replace(specNote, "example message", "example massage", 1)), note.VerifierList(v)); err == nil {
		t.Fatal("tampered text verified")
	}
	extra := specNote + "— witness.example/w1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	if _, err := note.Open([]byte(extra), note.VerifierList(v)); err != nil {
		t.Fatalf("an unknown signature line must be ignored: %v", err)
	}
	// The example is a note but not a checkpoint: the commands refuse it.
	fails(t, 1, "cosign", "--skey", witnessKey(t, "w").SKey, write(t, "note", specNote))
}

// RFC 6962 test vectors (certificate-transparency / transparency-dev/merkle):
// leaves d0..d7 and the roots of the trees of sizes 1..8.
var (
	katLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	katRoots  = []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", // empty tree
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
)

func katTree(t *testing.T) ([][]byte, *memTree) {
	t.Helper()
	var leaves [][]byte
	for _, l := range katLeaves {
		b, _ := hex.DecodeString(l)
		leaves = append(leaves, b)
	}
	tree, err := buildTree(leaves)
	if err != nil {
		t.Fatal(err)
	}
	return leaves, tree
}

func TestRootKnownAnswers(t *testing.T) {
	leaves, _ := katTree(t)
	for n := 0; n <= len(leaves); n++ {
		var file strings.Builder
		for _, l := range leaves[:n] {
			file.WriteString(base64.StdEncoding.EncodeToString(l) + "\n")
		}
		var got struct {
			TreeSize int    `json:"treeSize"`
			Root     string `json:"root"`
		}
		ok(t, &got, "root", write(t, "leaves", file.String()))
		if want := hexHash(t, katRoots[n]).String(); got.TreeSize != n || got.Root != want {
			t.Errorf("size %d: got %+v, want root %s", n, got, want)
		}
	}
	// The final newline is optional; a non-base64 line is an error.
	var got struct{ Root string }
	ok(t, &got, "root", write(t, "leaves", "AA=="))
	if got.Root != hexHash(t, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7").String() {
		t.Errorf("single leaf 0x00: got %s", got.Root)
	}
	fails(t, 1, "root", write(t, "leaves", "AA==\nnot base64!\n"))
}

// Pins that tlog's proof order is the RFC 9162 audit-path order (bottom-up),
// which is what the receipt and consistency JSON carry.
func TestProofOrderKnownAnswers(t *testing.T) {
	leaves, tree := katTree(t)
	root := hexHash(t, katRoots[8])
	for _, tc := range []struct {
		index int64
		path  []string
	}{
		{0, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{5, []string{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	} {
		p, err := tlog.ProveRecord(8, tc.index, tree)
		if err != nil {
			t.Fatal(err)
		}
		var want []tlog.Hash
		for _, h := range tc.path {
			want = append(want, hexHash(t, h))
		}
		if fmt.Sprint(p) != fmt.Sprint(want) {
			t.Errorf("ProveRecord(8, %d) = %v, want the RFC vector %v", tc.index, p, want)
		}
		if err := tlog.CheckRecord(want, 8, root, tc.index, tlog.RecordHash(leaves[tc.index])); err != nil {
			t.Errorf("RFC vector for leaf %d does not check: %v", tc.index, err)
		}
	}
}

func TestConsistencyKnownAnswers(t *testing.T) {
	const origin = "kat.example/log"
	k := logKey(t, origin)
	for _, tc := range []struct {
		m, n  int64
		proof []string
	}{
		{1, 1, nil},
		{1, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 5, []string{"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	} {
		var hs []tlog.Hash
		for _, h := range tc.proof {
			hs = append(hs, hexHash(t, h))
		}
		old := write(t, "old", signCheckpoint(t, k.SKey, origin, tc.m, hexHash(t, katRoots[tc.m])))
		nw := write(t, "new", signCheckpoint(t, k.SKey, origin, tc.n, hexHash(t, katRoots[tc.n])))
		proof := write(t, "proof.json", map[string]any{"hashes": b64s(hs)})
		var got struct {
			OK      bool   `json:"ok"`
			Origin  string `json:"origin"`
			OldSize int64  `json:"oldSize"`
			NewSize int64  `json:"newSize"`
		}
		ok(t, &got, "consistency", "--vkey", k.VKey, "--old", old, "--new", nw, "--proof", proof)
		if !got.OK || got.Origin != origin || got.OldSize != tc.m || got.NewSize != tc.n {
			t.Errorf("%d->%d: got %+v", tc.m, tc.n, got)
		}
	}
}

// ---- a small log built with tlog -----------------------------------------------

const origin = "residency-gateway/us-east-1"

type testLog struct {
	key    keyPair
	leaves [][]byte
	tree   *memTree
}

func newTestLog(t *testing.T, size int) *testLog {
	t.Helper()
	l := &testLog{key: logKey(t, origin)}
	for i := range size {
		l.leaves = append(l.leaves, []byte(fmt.Sprintf(`{"decision_id":"dec-%d","region":"us-east-1","allowed":%t}`, i, i%2 == 0)))
	}
	var err error
	if l.tree, err = buildTree(l.leaves); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *testLog) root(t *testing.T, n int64) tlog.Hash {
	t.Helper()
	h, err := tlog.TreeHash(n, l.tree)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (l *testLog) checkpoint(t *testing.T, n int64) string {
	t.Helper()
	return signCheckpoint(t, l.key.SKey, origin, n, l.root(t, n))
}

// receipt builds the receipt JSON the gateway hands out, as a generic map so
// tests can break any one field.
func (l *testLog) receipt(t *testing.T, index, size int64) map[string]any {
	t.Helper()
	p, err := tlog.ProveRecord(size, index, l.tree)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"region":     "us-east-1",
		"decisionId": fmt.Sprintf("dec-%d", index),
		"leafIndex":  index,
		"leaf":       base64.StdEncoding.EncodeToString(l.leaves[index]),
		"checkpoint": l.checkpoint(t, size),
		"inclusion":  map[string]any{"leafIndex": index, "treeSize": size, "hashes": b64s(p)},
		"issuedAt":   "2026-01-01T00:00:00Z", // unknown fields are ignored
	}
}

type receiptOut struct {
	OK        bool   `json:"ok"`
	Origin    string `json:"origin"`
	TreeSize  int64  `json:"treeSize"`
	LeafIndex int64  `json:"leafIndex"`
}

func TestReceipt(t *testing.T) {
	l := newTestLog(t, 7)
	for size := int64(1); size <= 7; size++ {
		for i := range size {
			var got receiptOut
			ok(t, &got, "receipt", "--vkey", l.key.VKey, write(t, "r.json", l.receipt(t, i, size)))
			if got != (receiptOut{true, origin, size, i}) {
				t.Fatalf("leaf %d of %d: got %+v", i, size, got)
			}
		}
	}

	// Flags may follow the file, and cosignature lines on the checkpoint are fine.
	w := witnessKey(t, "witness.example/w1")
	r := l.receipt(t, 3, 7)
	var cs cosigned
	ok(t, &cs, "cosign", "--skey", w.SKey, write(t, "cp", r["checkpoint"].(string)))
	r["checkpoint"] = cs.Note
	ok(t, nil, "receipt", write(t, "r.json", r), "--vkey", l.key.VKey)
	ok(t, nil, "receipt", "--vkey", l.key.VKey, "--witness", w.VKey, write(t, "r.json", r))
	fails(t, 1, "receipt", "--vkey", l.key.VKey, "--witness", witnessKey(t, "witness.example/w2").VKey, write(t, "r.json", r))

	other := newTestLog(t, 7) // same origin and leaves, different key
	forger := logKey(t, "somebody.example/else")
	bad := map[string]func(r map[string]any){
		"flipped proof byte": func(r map[string]any) {
			hs := r["inclusion"].(map[string]any)["hashes"].([]string)
			hs[1] = flip(t, hs[1])
		},
		"extra proof hash": func(r map[string]any) {
			in := r["inclusion"].(map[string]any)
			in["hashes"] = append(in["hashes"].([]string), l.root(t, 1).String())
		},
		"short proof": func(r map[string]any) {
			in := r["inclusion"].(map[string]any)
			in["hashes"] = in["hashes"].([]string)[1:]
		},
		"unpadded proof hash": func(r map[string]any) {
			hs := r["inclusion"].(map[string]any)["hashes"].([]string)
			hs[0] = strings.TrimRight(hs[0], "=")
		},
		"wrong log key":   func(r map[string]any) { r["checkpoint"] = other.checkpoint(t, 7) },
		"leaf of another": func(r map[string]any) { r["leaf"] = base64.StdEncoding.EncodeToString(l.leaves[4]) },
		"other decision":  func(r map[string]any) { r["decisionId"] = "dec-4" },
		"leaf not json":   func(r map[string]any) { r["leaf"] = base64.StdEncoding.EncodeToString([]byte("dec-3")) },
		"index mismatch":  func(r map[string]any) { r["leafIndex"] = 4 },
		"both indexes moved": func(r map[string]any) {
			r["leafIndex"] = 4
			r["inclusion"].(map[string]any)["leafIndex"] = 4
		},
		"tree size mismatch": func(r map[string]any) { r["inclusion"].(map[string]any)["treeSize"] = 6 },
		"stale checkpoint":   func(r map[string]any) { r["checkpoint"] = l.checkpoint(t, 6) },
		"missing leafIndex":  func(r map[string]any) { delete(r, "leafIndex") },
		"checkpoint tampered": func(r map[string]any) {
			r["checkpoint"] = strings.Replace(r["checkpoint"].(string), "\n7\n", "\n8\n", 1)
		},
		// Signed by a valid key, but one whose name is not the origin.
		"key name is not origin": func(r map[string]any) {
			r["checkpoint"] = signCheckpoint(t, forger.SKey, origin, 7, l.root(t, 7))
		},
	}
	for name, breakIt := range bad {
		t.Run(name, func(t *testing.T) {
			r := l.receipt(t, 3, 7)
			breakIt(r)
			vkey := l.key.VKey
			if name == "key name is not origin" {
				vkey = forger.VKey
			}
			fails(t, 1, "receipt", "--vkey", vkey, write(t, "r.json", r))
		})
	}
	fails(t, 1, "receipt", "--vkey", l.key.VKey, write(t, "r.json", "{"))
	fails(t, 1, "receipt", "--vkey", l.key.VKey, filepath.Join(t.TempDir(), "missing.json"))
}

func TestConsistency(t *testing.T) {
	l := newTestLog(t, 7)
	cps := map[int64]string{}
	for n := int64(0); n <= 7; n++ {
		cps[n] = write(t, "cp", l.checkpoint(t, n))
	}
	proofFile := func(hs []string) string { return write(t, "proof.json", map[string]any{"hashes": hs}) }
	prove := func(m, n int64) []string {
		if m == 0 {
			return []string{}
		}
		p, err := tlog.ProveTree(n, m, l.tree)
		if err != nil {
			t.Fatal(err)
		}
		return b64s(p)
	}
	for n := int64(0); n <= 7; n++ {
		for m := int64(0); m <= n; m++ {
			ok(t, nil, "consistency", "--vkey", l.key.VKey, "--old", cps[m], "--new", cps[n], "--proof", proofFile(prove(m, n)))
		}
	}

	check := func(old, nw string, hs []string) []string {
		return []string{"consistency", "--vkey", l.key.VKey, "--old", old, "--new", nw, "--proof", proofFile(hs)}
	}
	good := prove(3, 7)
	flipped := append([]string(nil), good...)
	flipped[len(flipped)-1] = flip(t, flipped[len(flipped)-1])
	fails(t, 1, check(cps[3], cps[7], flipped)...)
	fails(t, 1, check(cps[3], cps[7], good[1:])...)
	fails(t, 1, check(cps[3], cps[7], append(good, good[0]))...)
	fails(t, 1, check(cps[7], cps[3], good)...) // sizes swapped
	fails(t, 1, "consistency", "--vkey", newTestLog(t, 1).key.VKey, "--old", cps[3], "--new", cps[7], "--proof", proofFile(good))

	// A fork: the same log key signs a different tree of the same size (the
	// leaves differ at index 5). No proof links it to the real history.
	fork := newTestLog(t, 7)
	fork.key = l.key
	fork.leaves[5] = []byte(`{"decision_id":"dec-5","region":"us-east-1","allowed":true}`)
	fork.tree, _ = buildTree(fork.leaves)
	forked := write(t, "fork", fork.checkpoint(t, 7))
	fails(t, 1, check(cps[7], forked, nil)...)
	fails(t, 1, check(forked, cps[7], nil)...)
	fails(t, 1, check(cps[3], forked, good)...)
	forkProof, _ := tlog.ProveTree(7, 3, fork.tree)
	ok(t, nil, check(cps[3], forked, b64s(forkProof))...) // consistent with the shared prefix...
	forkProof, _ = tlog.ProveTree(7, 6, fork.tree)
	fails(t, 1, check(cps[6], forked, b64s(forkProof))...) // ...but not with size 6, which includes leaf 5

	// The empty tree: its root must be SHA-256("") and the proof empty.
	fails(t, 1, check(cps[0], cps[7], good)...)
	fakeEmpty := write(t, "cp0", signCheckpoint(t, l.key.SKey, origin, 0, l.root(t, 1)))
	fails(t, 1, check(fakeEmpty, cps[7], nil)...)
}

// ---- witnesses -----------------------------------------------------------------

func TestWitnessKeyFormat(t *testing.T) {
	const name = "witness.example/w1"
	k := witnessKey(t, name)
	v := strings.SplitN(k.VKey, "+", 3)
	pub, err := base64.StdEncoding.DecodeString(v[2])
	if len(v) != 3 || v[0] != name || err != nil || len(pub) != 33 || pub[0] != 0x04 {
		t.Fatalf("vkey %q is not name+id+base64(0x04||key)", k.VKey)
	}
	if id := specKeyID(name, 0x04, pub[1:]); v[1] != id {
		t.Fatalf("vkey key ID %s, spec formula gives %s", v[1], id)
	}
	s := strings.SplitN(k.SKey, "+", 5)
	seed, err := base64.StdEncoding.DecodeString(s[4])
	if len(s) != 5 || s[0] != "PRIVATE" || s[1] != "KEY" || s[2] != name || s[3] != v[1] || err != nil || len(seed) != 33 || seed[0] != 0x04 {
		t.Fatalf("skey is not PRIVATE+KEY+name+id+base64(0x04||seed): %q", k.SKey)
	}
	if !bytes.Equal(ed25519.NewKeyFromSeed(seed[1:]).Public().(ed25519.PublicKey), pub[1:]) {
		t.Fatal("skey and vkey are not a pair")
	}
	// A cosigner key is not a plain note key, so x/mod's note signer refuses it.
	if _, err := note.NewSigner(k.SKey); err == nil {
		t.Fatal("note.NewSigner accepted a cosignature skey")
	}

	lk := logKey(t, "log.example")
	lv := strings.SplitN(lk.VKey, "+", 3)
	lpub, _ := base64.StdEncoding.DecodeString(lv[2])
	if lpub[0] != 0x01 || lv[1] != specKeyID("log.example", 0x01, lpub[1:]) {
		t.Fatalf("log vkey %q is not a type-0x01 vkey with the spec key ID", lk.VKey)
	}
	fails(t, 2, "log-key", "--name", "has space")
	fails(t, 2, "witness-key", "--name", "has+plus")
}

type cosignatureOut struct {
	OK        bool   `json:"ok"`
	Origin    string `json:"origin"`
	TreeSize  int64  `json:"treeSize"`
	Witness   string `json:"witness"`
	Timestamp int64  `json:"timestamp"`
	Time      string `json:"time"`
}

func TestCosignRoundTrip(t *testing.T) {
	l := newTestLog(t, 5)
	w := witnessKey(t, "witness.example/w1")
	cp := l.checkpoint(t, 5)
	cpFile := write(t, "cp", cp)

	before := time.Now().Unix()
	var cs cosigned
	ok(t, &cs, "cosign", "--skey", w.SKey, "--vkey", l.key.VKey, cpFile)
	if !strings.HasPrefix(cs.Note, cp) || cs.Note != cp+cs.SignatureLine {
		t.Fatalf("cosigned note is not the checkpoint plus the new line:\n%s", cs.Note)
	}
	if !strings.HasPrefix(cs.SignatureLine, "— witness.example/w1 ") || !strings.HasSuffix(cs.SignatureLine, "\n") {
		t.Fatalf("bad signature line %q", cs.SignatureLine)
	}
	var got cosignatureOut
	ok(t, &got, "cosignature", "--vkey", l.key.VKey, "--witness", w.VKey, write(t, "cosigned", cs.Note))
	if !got.OK || got.Origin != origin || got.TreeSize != 5 || got.Witness != "witness.example/w1" ||
		got.Timestamp < before || got.Timestamp > time.Now().Unix() ||
		got.Time != time.Unix(got.Timestamp, 0).UTC().Format(time.RFC3339) {
		t.Fatalf("got %+v", got)
	}

	// Without --vkey the witness still cosigns; a second cosign by the same
	// witness replaces its line, another witness adds one.
	w2 := witnessKey(t, "witness.example/w2")
	var again, both cosigned
	ok(t, &again, "cosign", "--skey", w.SKey, write(t, "cosigned", cs.Note))
	if strings.Count(again.Note, "witness.example/w1") != 1 {
		t.Fatalf("re-cosigning duplicated the line:\n%s", again.Note)
	}
	ok(t, &both, "cosign", "--skey", w2.SKey, write(t, "cosigned", cs.Note))
	for _, wk := range []string{w.VKey, w2.VKey} {
		ok(t, nil, "cosignature", "--vkey", l.key.VKey, "--witness", wk, write(t, "both", both.Note))
	}

	// Negative cases.
	fails(t, 1, "cosign", "--skey", w.SKey, "--vkey", newTestLog(t, 1).key.VKey, cpFile)           // not this log's checkpoint
	fails(t, 1, "cosignature", "--vkey", l.key.VKey, "--witness", w.VKey, cpFile)                  // no cosignature at all
	fails(t, 1, "cosignature", "--vkey", l.key.VKey, "--witness", w2.VKey, write(t, "c", cs.Note)) // another witness
	fails(t, 1, "cosignature", "--vkey", newTestLog(t, 1).key.VKey, "--witness", w.VKey, write(t, "c", cs.Note))

	// A fork: the log signs a different root at the same size; the witness's line
	// for the real checkpoint must not transfer to it.
	forged := signCheckpoint(t, l.key.SKey, origin, 5, l.root(t, 4))
	fails(t, 1, "cosignature", "--vkey", l.key.VKey, "--witness", w.VKey, write(t, "forged", forged+cs.SignatureLine))

	// Changing the timestamp inside the cosignature breaks it.
	line := strings.TrimSuffix(strings.Fields(cs.SignatureLine)[2], "\n")
	sig, _ := base64.StdEncoding.DecodeString(line)
	sig[4+7] ^= 1
	tampered := cp + "— witness.example/w1 " + base64.StdEncoding.EncodeToString(sig) + "\n"
	fails(t, 1, "cosignature", "--vkey", l.key.VKey, "--witness", w.VKey, write(t, "tampered", tampered))
}

// Builds keys, a log signature and a cosignature by hand from the spec text
// (crypto/ed25519 + the message layouts of c2sp.org/signed-note and
// c2sp.org/tlog-cosignature) and checks the tool agrees with them both ways.
func TestCosignatureAgainstSpecConstruction(t *testing.T) {
	seed := sha256.Sum256([]byte("witness seed for tests"))
	wPriv := ed25519.NewKeyFromSeed(seed[:])
	wPub := wPriv.Public().(ed25519.PublicKey)
	const wName = "witness.example/spec"
	wID := specKeyID(wName, 0x04, wPub)
	wVKey := wName + "+" + wID + "+" + base64.StdEncoding.EncodeToString(append([]byte{0x04}, wPub...))
	wSKey := "PRIVATE+KEY+" + wName + "+" + wID + "+" + base64.StdEncoding.EncodeToString(append([]byte{0x04}, seed[:]...))

	l := newTestLog(t, 3)
	cp := l.checkpoint(t, 3)
	text := cp[:strings.Index(cp, "\n\n")+1]

	// The log's line: Ed25519 over the note text, key ID || signature.
	lv := strings.SplitN(l.key.VKey, "+", 3)
	lpub, _ := base64.StdEncoding.DecodeString(lv[2])
	logLine := strings.Fields(cp[len(text)+1:])
	logSig, _ := base64.StdEncoding.DecodeString(logLine[2])
	if logLine[1] != origin || hex.EncodeToString(logSig[:4]) != lv[1] || !ed25519.Verify(lpub[1:], []byte(text), logSig[4:]) {
		t.Fatal("sign-checkpoint's line does not verify per the signed-note spec")
	}

	// A hand-made cosignature at a fixed time is accepted, and its time reported.
	const ts = 1700000000
	msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, text)
	var body []byte
	body, _ = hex.AppendDecode(body, []byte(wID))
	body = binary.BigEndian.AppendUint64(body, ts)
	body = append(body, ed25519.Sign(wPriv, []byte(msg))...)
	handNote := cp + "— " + wName + " " + base64.StdEncoding.EncodeToString(body) + "\n"
	var got cosignatureOut
	ok(t, &got, "cosignature", "--vkey", l.key.VKey, "--witness", wVKey, write(t, "hand", handNote))
	if got.Timestamp != ts || got.Time != "2023-11-14T22:13:20Z" {
		t.Fatalf("got %+v", got)
	}

	// And the tool's cosignature, made from the hand-built skey, verifies by hand.
	var cs cosigned
	ok(t, &cs, "cosign", "--skey", wSKey, write(t, "cp", cp))
	f := strings.Fields(cs.SignatureLine)
	raw, _ := base64.StdEncoding.DecodeString(f[2])
	if f[1] != wName || len(raw) != 4+8+64 || hex.EncodeToString(raw[:4]) != wID {
		t.Fatalf("bad cosignature line %q", cs.SignatureLine)
	}
	stamp := binary.BigEndian.Uint64(raw[4:12])
	msg = fmt.Sprintf("cosignature/v1\ntime %d\n%s", stamp, text)
	if !ed25519.Verify(wPub, []byte(msg), raw[12:]) {
		t.Fatal("the tool's cosignature does not verify per the tlog-cosignature spec")
	}
}

// ---- command line --------------------------------------------------------------

func TestUsage(t *testing.T) {
	l := newTestLog(t, 1)
	cp := write(t, "cp", l.checkpoint(t, 1))
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"receipt", cp},                   // no --vkey
		{"receipt", "--vkey", l.key.VKey}, // no file
		{"receipt", "--vkey", l.key.VKey, cp, cp}, // two files
		{"receipt", "--vkey", "not-a-vkey", cp},   // malformed key
		{"receipt", "--nope", "--vkey", l.key.VKey, cp},
		{"consistency", "--vkey", l.key.VKey, "--old", cp, "--new", cp},
		{"cosignature", "--vkey", l.key.VKey, "--witness", l.key.SKey, cp},
		{"cosign", cp},
		{"cosign", "--skey", l.key.VKey, cp},
		{"root"},
		{"witness-key"},
		{"sign-checkpoint", "--skey", l.key.SKey, "--origin", origin, "--size", "-1", "--root", l.root(t, 1).String()},
		{"sign-checkpoint", "--skey", l.key.SKey, "--origin", origin, "--size", "1", "--root", "AAAA"},
		{"sign-checkpoint", "--skey", l.key.SKey, "--origin", "two\nlines", "--size", "1", "--root", l.root(t, 1).String()},
		{"receipt", "-h"},
	} {
		stderr := fails(t, 2, args...)
		// A key pasted into the wrong flag must not be echoed into test logs.
		if secret := strings.SplitN(l.key.SKey, "+", 5)[4]; strings.Contains(stderr, secret) {
			t.Errorf("%v: stderr echoes the secret key", args)
		}
	}
}

// Runs the real binary once, so the exit statuses are checked through os.Exit too.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "tlog-check")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l := newTestLog(t, 2)
	status := func(args ...string) int {
		err := exec.Command(bin, args...).Run()
		if e, isExit := err.(*exec.ExitError); isExit {
			return e.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	good := write(t, "r.json", l.receipt(t, 1, 2))
	if s := status("receipt", "--vkey", l.key.VKey, good); s != 0 {
		t.Errorf("good receipt: exit %d", s)
	}
	if s := status("receipt", "--vkey", newTestLog(t, 1).key.VKey, good); s != 1 {
		t.Errorf("wrong key: exit %d, want 1", s)
	}
	if s := status("receipt"); s != 2 {
		t.Errorf("bad usage: exit %d, want 2", s)
	}
}
