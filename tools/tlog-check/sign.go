package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	flog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// cmdRoot computes the RFC 6962 root of a file of base64 leaves, one per line,
// by feeding them through tlog.StoredHashes exactly as a tlog-backed log would
// store them, then asking tlog.TreeHash for the root.
func cmdRoot(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("root", flag.ContinueOnError)
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	data, err := readFile(pos[0])
	if err != nil {
		return err
	}
	// Each leaf is a line ending in "\n" (optional on the last one), so an empty
	// file has no leaves and an empty line is a zero-byte leaf (RFC 6962's d0 test
	// vector is one). A stray blank line therefore changes the root rather than
	// being skipped silently, so a mistake shows up as a mismatch, never a pass.
	var leaves [][]byte
	if len(data) > 0 {
		for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			leaf, err := base64.StdEncoding.DecodeString(line)
			if err != nil {
				return fmt.Errorf("line %d is not standard base64: %v", i+1, err)
			}
			leaves = append(leaves, leaf)
		}
	}
	root, err := treeRoot(leaves)
	if err != nil {
		return err
	}
	return printJSON(stdout, struct {
		TreeSize int    `json:"treeSize"`
		Root     string `json:"root"`
	}{len(leaves), root.String()})
}

// memTree is an in-memory tlog hash store: index i holds stored hash i.
type memTree []tlog.Hash

func (t *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if idx < 0 || idx >= int64(len(*t)) {
			return nil, fmt.Errorf("hash %d not stored", idx)
		}
		out[i] = (*t)[idx]
	}
	return out, nil
}

// add appends leaf n (n = current number of leaves), storing what tlog says to store.
func (t *memTree) add(n int64, leaf []byte) error {
	hs, err := tlog.StoredHashes(n, leaf, t)
	if err != nil {
		return err
	}
	*t = append(*t, hs...)
	return nil
}

func buildTree(leaves [][]byte) (*memTree, error) {
	t := &memTree{}
	for i, leaf := range leaves {
		if err := t.add(int64(i), leaf); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func treeRoot(leaves [][]byte) (tlog.Hash, error) {
	t, err := buildTree(leaves)
	if err != nil {
		return tlog.Hash{}, err
	}
	return tlog.TreeHash(int64(len(leaves)), t)
}

func nameFlag(fs *flag.FlagSet, args []string) (string, error) {
	name := fs.String("name", "", "key name")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return "", err
	}
	if err := required(fs.Lookup("name")); err != nil {
		return "", err
	}
	return *name, nil
}

// cmdLogKey makes a log key pair with note.GenerateKey (Ed25519, type 0x01).
func cmdLogKey(args []string, stdout io.Writer) error {
	name, err := nameFlag(flag.NewFlagSet("log-key", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return err
	}
	// GenerateKey does not validate the name; NewSigner does.
	if _, err := note.NewSigner(skey); err != nil {
		return usagef("invalid key name %q: %v", name, err)
	}
	return printJSON(stdout, struct {
		SKey string `json:"skey"`
		VKey string `json:"vkey"`
	}{skey, vkey})
}

// cmdWitnessKey makes an Ed25519 cosignature/v1 key pair.
//
// formats v0.1.1 has no Ed25519 cosigner key generator, so the Ed25519 key comes
// from note.GenerateKey and the libraries re-label it: VKeyToCosignatureV1 gives
// the type-0x04 vkey, and the skey gets the 0x04 type byte and key ID
// (NewSignerForCosignatureV1 documents that form). A 0x04 skey also keeps the
// witness key from being loaded by note.NewSigner and used to sign plain
// (type 0x01) notes, which the cosignature spec asks us to avoid.
func cmdWitnessKey(args []string, stdout io.Writer) error {
	name, err := nameFlag(flag.NewFlagSet("witness-key", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	skey1, vkey1, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return err
	}
	if _, err := note.NewSigner(skey1); err != nil {
		return usagef("invalid key name %q: %v", name, err)
	}
	vkey, err := fnote.VKeyToCosignatureV1(vkey1)
	if err != nil {
		return err
	}
	// skey1 = PRIVATE+KEY+<name>+<id>+base64(0x01 || seed); vkey = <name>+<id4>+...
	p := strings.SplitN(skey1, "+", 5)
	seed, err := base64.StdEncoding.DecodeString(p[4])
	if err != nil || len(seed) == 0 {
		return errors.New("unexpected skey from note.GenerateKey")
	}
	seed[0] = 0x04
	id4 := strings.SplitN(vkey, "+", 3)[1]
	skey := strings.Join([]string{"PRIVATE", "KEY", name, id4, base64.StdEncoding.EncodeToString(seed)}, "+")

	// Prove the pair works together before handing it out.
	if err := selfTestWitnessKey(skey, vkey); err != nil {
		return fmt.Errorf("generated witness key failed its self-test: %v", err)
	}
	return printJSON(stdout, struct {
		SKey string `json:"skey"`
		VKey string `json:"vkey"`
	}{skey, vkey})
}

func selfTestWitnessKey(skey, vkey string) error {
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return err
	}
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		return err
	}
	text := string(flog.Checkpoint{Origin: "self-test", Size: 0, Hash: make([]byte, 32)}.Marshal())
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		return err
	}
	_, err = note.Open(msg, note.VerifierList(v))
	return err
}

// cmdCosign adds a cosignature/v1 line to a checkpoint note, as a witness does.
// With --vkey the log signature is checked first (a real witness would also check
// consistency with what it saw before; tests use this to play a witness that does).
func cmdCosign(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("cosign", flag.ContinueOnError)
	skey := fs.String("skey", "", "witness signer key (cosignature/v1 Ed25519, type 0x04 or 0x01)")
	vkey := fs.String("vkey", "", "optional log verifier key: refuse to cosign unless the log signed the note")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := required(fs.Lookup("skey")); err != nil {
		return err
	}
	signer, err := fnote.NewSignerForCosignatureV1(*skey)
	if err != nil {
		return usagef("bad witness skey: %v", err)
	}
	msg, err := readFile(pos[0])
	if err != nil {
		return err
	}

	var n *note.Note
	if *vkey != "" {
		logV, err := logVerifier(*vkey)
		if err != nil {
			return err
		}
		cp, err := openCheckpoint(msg, logV)
		if err != nil {
			return err
		}
		n = cp.Note
	} else {
		// With no trusted key every signature is "unknown", and note.Open hands
		// the parsed (unverified) note back inside the error.
		_, err := note.Open(msg, note.VerifierList())
		var unverified *note.UnverifiedNoteError
		if !errors.As(err, &unverified) {
			return fmt.Errorf("not a signed note: %v", err)
		}
		n = unverified.Note
		var cp flog.Checkpoint
		if _, err := cp.Unmarshal([]byte(n.Text)); err != nil {
			return err
		}
	}

	// note.Sign keeps the existing lines (replacing an older line by this same
	// key) and appends the new signature last, so the last line is ours.
	signed, err := note.Sign(n, signer)
	if err != nil {
		return err
	}
	body := bytes.TrimSuffix(signed, []byte("\n"))
	line := string(signed[bytes.LastIndexByte(body, '\n')+1:])
	return printJSON(stdout, struct {
		Note          string `json:"note"`
		SignatureLine string `json:"signatureLine"`
	}{string(signed), line})
}

// cmdSignCheckpoint signs a checkpoint body with a log key. It does not insist the
// key name equals the origin, so tests can also forge checkpoints the verifier
// commands must refuse.
func cmdSignCheckpoint(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sign-checkpoint", flag.ContinueOnError)
	skey := fs.String("skey", "", "log signer key (x/mod note skey, type 0x01)")
	origin := fs.String("origin", "", "checkpoint origin line")
	sizeStr := fs.String("size", "", "tree size (decimal)")
	rootStr := fs.String("root", "", "base64 root hash")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs.Lookup("skey"), fs.Lookup("origin"), fs.Lookup("size"), fs.Lookup("root")); err != nil {
		return err
	}
	signer, err := note.NewSigner(*skey)
	if err != nil {
		return usagef("bad log skey: %v", err)
	}
	if strings.ContainsAny(*origin, "\n") {
		return usagef("--origin must be a single line")
	}
	size, err := strconv.ParseInt(*sizeStr, 10, 64)
	if err != nil || size < 0 {
		return usagef("--size must be a non-negative decimal integer")
	}
	root, err := tlog.ParseHash(*rootStr)
	if err != nil {
		return usagef("--root must be a base64 32-byte hash")
	}
	text := flog.Checkpoint{Origin: *origin, Size: uint64(size), Hash: root[:]}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		return err
	}
	return printJSON(stdout, struct {
		Note string `json:"note"`
	}{string(signed)})
}
