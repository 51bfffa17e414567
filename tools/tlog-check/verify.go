package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"

	flog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// checkpoint is a verified tlog-checkpoint, with the size already range-checked for tlog's int64 API.
type checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Note   *note.Note
}

// logVerifier parses a type-0x01 Ed25519 vkey. x/mod's NewVerifier accepts only
// that type, which is exactly the log's signature type.
func logVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		// The value is not echoed: a misplaced skey must not end up in logs.
		return nil, usagef("bad log vkey (want a type-0x01 Ed25519 vkey <name>+<id>+<base64>): %v", err)
	}
	return v, nil
}

// witnessVerifier parses a cosignature/v1 vkey (type 0x04). The formats library
// also accepts a type-0x01 key and re-derives the 0x04 key ID from it, as witnesses
// configured with plain Ed25519 vkeys expect.
func witnessVerifier(vkey string) (note.Verifier, error) {
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		return nil, usagef("bad witness vkey (want a cosignature/v1 vkey <name>+<id>+<base64>): %v", err)
	}
	return v, nil
}

// openCheckpoint verifies the log signature (and, if given, the witnesses'
// cosignatures) on a checkpoint note and parses its body.
//
// formats/log.ParseCheckpoint does the note.Open and insists that the origin line
// equals the log key's name, so a checkpoint signed by the right key for another
// origin is refused. Signature lines from keys not passed in (other witnesses,
// rotated keys) are ignored, as the signed-note spec requires; a line that claims
// a passed-in key (name and key ID) but does not verify makes note.Open fail.
func openCheckpoint(msg []byte, logV note.Verifier, witnesses ...note.Verifier) (*checkpoint, error) {
	cp, _, n, err := flog.ParseCheckpoint(msg, logV.Name(), logV, witnesses...)
	if err != nil {
		return nil, fmt.Errorf("checkpoint (log key %s+%08x): %v", logV.Name(), logV.KeyHash(), err)
	}
	// ParseCheckpoint is lenient about the body; the checkpoint spec is not: no
	// leading zeros or sign in the size, a canonical base64 SHA-256 root. Re-encoding
	// and comparing catches all of these without a hand-written parser.
	if len(cp.Hash) != tlog.HashSize {
		return nil, fmt.Errorf("checkpoint root hash is %d bytes, want %d", len(cp.Hash), tlog.HashSize)
	}
	if !bytes.HasPrefix([]byte(n.Text), cp.Marshal()) {
		return nil, fmt.Errorf("checkpoint body is not in canonical form (origin, decimal size, base64 root)")
	}
	if cp.Size > math.MaxInt64 {
		return nil, fmt.Errorf("checkpoint size %d is out of range", cp.Size)
	}
	for _, w := range witnesses {
		if findSig(n, w) == nil {
			return nil, fmt.Errorf("no cosignature by witness %s (key ID %08x) on the checkpoint", w.Name(), w.KeyHash())
		}
	}
	out := &checkpoint{Origin: cp.Origin, Size: int64(cp.Size), Note: n}
	copy(out.Root[:], cp.Hash)
	return out, nil
}

// findSig returns v's verified signature on n, matched by name and key ID as the spec says.
func findSig(n *note.Note, v note.Verifier) *note.Signature {
	for i, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			return &n.Sigs[i]
		}
	}
	return nil
}

// parseHashes decodes proof hashes: standard padded base64, 32 bytes each.
func parseHashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d (%q): not a base64 SHA-256 hash", i, s)
		}
		out[i] = h
	}
	return out, nil
}

// decodeJSON decodes a whole file strictly enough to catch truncation and trailing garbage.
func decodeJSON(data []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: invalid JSON: %v", what, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: trailing data after the JSON value", what)
	}
	return nil
}

// receiptFile is the receipt JSON. Pointers distinguish "missing" from zero, so a
// receipt without a leafIndex is not silently read as leaf 0. Unknown fields are ignored.
type receiptFile struct {
	Region     string  `json:"region"`
	DecisionID *string `json:"decisionId"`
	LeafIndex  *int64  `json:"leafIndex"`
	Leaf       *string `json:"leaf"`
	Checkpoint *string `json:"checkpoint"`
	Inclusion  *struct {
		LeafIndex *int64   `json:"leafIndex"`
		TreeSize  *int64   `json:"treeSize"`
		Hashes    []string `json:"hashes"`
	} `json:"inclusion"`
}

func cmdReceipt(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("receipt", flag.ContinueOnError)
	vkey := fs.String("vkey", "", "log verifier key (type 0x01)")
	var witnessKeys multiFlag
	fs.Var(&witnessKeys, "witness", "witness cosignature vkey that must have cosigned the checkpoint (repeatable)")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := required(fs.Lookup("vkey")); err != nil {
		return err
	}
	logV, err := logVerifier(*vkey)
	if err != nil {
		return err
	}
	var witnesses []note.Verifier
	for _, k := range witnessKeys {
		w, err := witnessVerifier(k)
		if err != nil {
			return err
		}
		witnesses = append(witnesses, w)
	}
	data, err := readFile(pos[0])
	if err != nil {
		return err
	}

	var r receiptFile
	if err := decodeJSON(data, &r, "receipt"); err != nil {
		return err
	}
	switch {
	case r.DecisionID == nil || *r.DecisionID == "":
		return fmt.Errorf("receipt: missing decisionId")
	case r.LeafIndex == nil:
		return fmt.Errorf("receipt: missing leafIndex")
	case r.Leaf == nil:
		return fmt.Errorf("receipt: missing leaf")
	case r.Checkpoint == nil:
		return fmt.Errorf("receipt: missing checkpoint")
	case r.Inclusion == nil || r.Inclusion.LeafIndex == nil || r.Inclusion.TreeSize == nil:
		return fmt.Errorf("receipt: missing inclusion.leafIndex or inclusion.treeSize")
	}

	cp, err := openCheckpoint([]byte(*r.Checkpoint), logV, witnesses...)
	if err != nil {
		return err
	}
	// The proof is only meaningful against the signed tree head it claims to be for.
	if *r.Inclusion.TreeSize != cp.Size {
		return fmt.Errorf("inclusion.treeSize %d != checkpoint size %d", *r.Inclusion.TreeSize, cp.Size)
	}
	if *r.Inclusion.LeafIndex != *r.LeafIndex {
		return fmt.Errorf("inclusion.leafIndex %d != leafIndex %d", *r.Inclusion.LeafIndex, *r.LeafIndex)
	}
	if *r.LeafIndex < 0 || *r.LeafIndex >= cp.Size {
		return fmt.Errorf("leafIndex %d is outside the checkpoint's tree of size %d", *r.LeafIndex, cp.Size)
	}

	leaf, err := base64.StdEncoding.DecodeString(*r.Leaf)
	if err != nil {
		return fmt.Errorf("leaf is not standard base64: %v", err)
	}
	// Bind the receipt's claim to the logged bytes: otherwise a valid proof for
	// some other decision could be presented under this decisionId.
	if err := checkDecisionID(leaf, *r.DecisionID); err != nil {
		return err
	}
	proof, err := parseHashes(r.Inclusion.Hashes)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, *r.LeafIndex, tlog.RecordHash(leaf)); err != nil {
		return fmt.Errorf("inclusion proof of leaf %d in tree %d (root %s): %v", *r.LeafIndex, cp.Size, cp.Root, err)
	}
	return printJSON(stdout, struct {
		OK        bool   `json:"ok"`
		Origin    string `json:"origin"`
		TreeSize  int64  `json:"treeSize"`
		LeafIndex int64  `json:"leafIndex"`
	}{true, cp.Origin, cp.Size, *r.LeafIndex})
}

// checkDecisionID requires the leaf to be a JSON object whose "decision_id" member
// (exact key; encoding/json struct matching would be case-insensitive) is the string want.
func checkDecisionID(leaf []byte, want string) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(leaf, &obj); err != nil || obj == nil {
		return fmt.Errorf("leaf is not a JSON object")
	}
	raw, ok := obj["decision_id"]
	if !ok {
		return fmt.Errorf("leaf has no decision_id")
	}
	var got string
	if err := json.Unmarshal(raw, &got); err != nil {
		return fmt.Errorf("leaf decision_id is not a string: %s", raw)
	}
	if got != want {
		return fmt.Errorf("leaf decision_id %q != receipt decisionId %q", got, want)
	}
	return nil
}

func cmdConsistency(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("consistency", flag.ContinueOnError)
	vkey := fs.String("vkey", "", "log verifier key (type 0x01)")
	oldPath := fs.String("old", "", "older checkpoint note file")
	newPath := fs.String("new", "", "newer checkpoint note file")
	proofPath := fs.String("proof", "", `consistency proof JSON {"hashes": [...]}`)
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs.Lookup("vkey"), fs.Lookup("old"), fs.Lookup("new"), fs.Lookup("proof")); err != nil {
		return err
	}
	logV, err := logVerifier(*vkey)
	if err != nil {
		return err
	}

	var cps [2]*checkpoint
	for i, p := range []string{*oldPath, *newPath} {
		msg, err := readFile(p)
		if err != nil {
			return err
		}
		if cps[i], err = openCheckpoint(msg, logV); err != nil {
			return fmt.Errorf("%s: %v", p, err)
		}
	}
	oldCP, newCP := cps[0], cps[1]
	proofData, err := readFile(*proofPath)
	if err != nil {
		return err
	}
	var pf struct {
		Hashes []string `json:"hashes"`
	}
	if err := decodeJSON(proofData, &pf, "proof"); err != nil {
		return err
	}
	proof, err := parseHashes(pf.Hashes)
	if err != nil {
		return err
	}

	// Both origins equal the key name already; checked again so the rule is explicit.
	if oldCP.Origin != newCP.Origin {
		return fmt.Errorf("origins differ: %q vs %q", oldCP.Origin, newCP.Origin)
	}
	if oldCP.Size > newCP.Size {
		return fmt.Errorf("old size %d > new size %d: the log shrank", oldCP.Size, newCP.Size)
	}
	if oldCP.Size == 0 {
		// RFC 9162 defines no proof from the empty tree: every tree extends it.
		// Still insist the old checkpoint states the real empty root and no proof is sent.
		empty, _ := tlog.TreeHash(0, nil)
		if oldCP.Root != empty {
			return fmt.Errorf("old checkpoint has size 0 but root %s, not the empty-tree hash %s", oldCP.Root, empty)
		}
		if newCP.Size == 0 && newCP.Root != empty {
			return fmt.Errorf("new checkpoint has size 0 but root %s, not the empty-tree hash %s", newCP.Root, empty)
		}
		if len(proof) != 0 {
			return fmt.Errorf("a consistency proof from the empty tree must be empty, got %d hashes", len(proof))
		}
	} else if err := tlog.CheckTree(proof, newCP.Size, newCP.Root, oldCP.Size, oldCP.Root); err != nil {
		// For equal sizes CheckTree itself requires an empty proof and equal roots,
		// so a fork at the same size fails here.
		return fmt.Errorf("consistency %d (%s) -> %d (%s): %v", oldCP.Size, oldCP.Root, newCP.Size, newCP.Root, err)
	}
	return printJSON(stdout, struct {
		OK      bool   `json:"ok"`
		Origin  string `json:"origin"`
		OldSize int64  `json:"oldSize"`
		NewSize int64  `json:"newSize"`
	}{true, newCP.Origin, oldCP.Size, newCP.Size})
}

func cmdCosignature(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("cosignature", flag.ContinueOnError)
	vkey := fs.String("vkey", "", "log verifier key (type 0x01)")
	wkey := fs.String("witness", "", "witness cosignature/v1 verifier key (type 0x04)")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := required(fs.Lookup("vkey"), fs.Lookup("witness")); err != nil {
		return err
	}
	logV, err := logVerifier(*vkey)
	if err != nil {
		return err
	}
	w, err := witnessVerifier(*wkey)
	if err != nil {
		return err
	}
	msg, err := readFile(pos[0])
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(msg, logV, w)
	if err != nil {
		return err
	}
	ts, err := fnote.CoSigV1Timestamp(*findSig(cp.Note, w))
	if err != nil {
		return fmt.Errorf("cosignature timestamp: %v", err)
	}
	return printJSON(stdout, struct {
		OK        bool   `json:"ok"`
		Origin    string `json:"origin"`
		TreeSize  int64  `json:"treeSize"`
		Witness   string `json:"witness"`
		Timestamp int64  `json:"timestamp"`
		Time      string `json:"time"`
	}{true, cp.Origin, cp.Size, w.Name(), ts.Unix(), ts.UTC().Format("2006-01-02T15:04:05Z")})
}
