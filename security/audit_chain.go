package security

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// AuditChain is an append-only audit file in which every record carries
// the hash of the one before it: editing, removing, inserting or
// reordering a record breaks the chain, which VerifyAuditChain detects.
// With a Key the hashes are HMACs, so that someone who can write the file
// but does not hold the key cannot forge a consistent chain either.
//
// Removing records from the end leaves a valid, shorter chain: keep the
// (count, head) VerifyAuditChain or Head returns somewhere the writer of
// the file cannot change, and compare.
//
// Records are JSON lines:
//
//	{"seq":1,"prev":"","event":{...},"hash":"…"}
//
// It is safe for concurrent use.
type AuditChain struct {
	mu   sync.Mutex
	f    *os.File
	key  []byte
	sync bool
	seq  uint64
	head string
}

// AuditChainConfig configures OpenAuditChain.
type AuditChainConfig struct {
	// Path is the file; created if missing (mode 0600), continued if not.
	Path string
	// Key, if set, makes the record hashes HMAC-SHA256 under it.
	Key Secret
	// Sync calls fsync after every record. Default false.
	Sync bool
}

// chainRecord is one line of the file.
type chainRecord struct {
	Seq   uint64     `json:"seq"`
	Prev  string     `json:"prev"`
	Event chainEvent `json:"event"`
	Hash  string     `json:"hash,omitempty"`
}

type chainEvent struct {
	Time      string            `json:"time"`
	Principal string            `json:"principal"`
	Component string            `json:"component"`
	Operation string            `json:"operation"`
	Resource  string            `json:"resource"`
	Outcome   string            `json:"outcome"`
	Code      string            `json:"code"`
	LatencyNS int64             `json:"latency_ns"`
	Rule      string            `json:"rule,omitempty"`
	Attrs     map[string]string `json:"attrs,omitempty"`
}

// maxChainLine bounds one record of the file.
const maxChainLine = 1 << 20

// OpenAuditChain opens (or creates) the chain file. An existing file is
// verified first: a broken chain is DataLoss, and nothing is appended.
func OpenAuditChain(cfg AuditChainConfig) (*AuditChain, error) {
	const op = "open audit chain"
	if cfg.Path == "" {
		return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, op, "Path is required")
	}
	key := []byte(cfg.Key.Reveal())
	n, head, err := verifyChain(cfg.Path, key, true)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(cfg.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, arsenal.Errorf(arsenal.CodeOf(err), Kind, op, "%w", err)
	}
	return &AuditChain{f: f, key: key, sync: cfg.Sync, seq: n, head: head}, nil
}

func chainMAC(key []byte) hash.Hash {
	if len(key) > 0 {
		return hmac.New(sha256.New, key)
	}
	return sha256.New()
}

// sum is the hash of a record without its hash field.
func sum(key []byte, r chainRecord) (string, error) {
	r.Hash = ""
	b, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	h := chainMAC(key)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func toChainEvent(e Event) chainEvent {
	ce := chainEvent{
		Time: e.Time.UTC().Format(time.RFC3339Nano), Principal: e.Principal, Component: e.Component,
		Operation: e.Operation, Resource: e.Resource, Outcome: string(e.Outcome), Code: e.Code.String(),
		LatencyNS: int64(e.Latency), Rule: e.Rule,
	}
	if len(e.Attrs) > 0 {
		ce.Attrs = make(map[string]string, len(e.Attrs))
		for _, a := range e.Attrs {
			ce.Attrs[a.Key] = a.Value.Resolve().String()
		}
	}
	return ce
}

// Append writes e as the next record. Auditor.Record calls it; call it
// directly only with an Event that went through an Auditor's redaction,
// or holds no secret.
func (c *AuditChain) Append(e Event) error {
	const op = "audit append"
	e.normalize()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, op, "audit chain is closed")
	}
	r := chainRecord{Seq: c.seq + 1, Prev: c.head, Event: toChainEvent(e)}
	h, err := sum(c.key, r)
	if err != nil {
		return arsenal.Errorf(arsenal.Internal, Kind, op, "%w", err)
	}
	r.Hash = h
	line, err := json.Marshal(r)
	if err != nil {
		return arsenal.Errorf(arsenal.Internal, Kind, op, "%w", err)
	}
	if len(line) >= maxChainLine {
		return arsenal.Errorf(arsenal.InvalidArgument, Kind, op, "audit record larger than 1 MiB")
	}
	if _, err := c.f.Write(append(line, '\n')); err != nil {
		return arsenal.Errorf(arsenal.CodeOf(err), Kind, op, "%w", err)
	}
	if c.sync {
		if err := c.f.Sync(); err != nil {
			return arsenal.Errorf(arsenal.CodeOf(err), Kind, op, "%w", err)
		}
	}
	c.seq, c.head = r.Seq, h
	return nil
}

// Head returns the number of records and the hash of the last one.
func (c *AuditChain) Head() (count uint64, hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq, c.head
}

// Close closes the file.
func (c *AuditChain) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}

// VerifyAuditChain checks the chain file at path with key (the zero
// Secret for a chain written without one) and returns the number of
// records and the last hash. An edited, removed, inserted or reordered
// record is a DataLoss error naming the first bad line.
func VerifyAuditChain(path string, key Secret) (count uint64, head string, err error) {
	return verifyChain(path, []byte(key.Reveal()), false)
}

func verifyChain(path string, key []byte, missingOK bool) (uint64, string, error) {
	const op = "verify audit chain"
	f, err := os.Open(path)
	if err != nil {
		if missingOK && errors.Is(err, os.ErrNotExist) {
			return 0, "", nil
		}
		return 0, "", arsenal.Errorf(arsenal.CodeOf(err), Kind, op, "%w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var seq uint64
	head := ""
	for line := 1; ; line++ {
		b, err := readLine(br)
		if err == io.EOF {
			return seq, head, nil
		}
		if err != nil {
			return 0, "", arsenal.Errorf(arsenal.DataLoss, Kind, op, "line %d: %v", line, err)
		}
		var r chainRecord
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		if err := d.Decode(&r); err != nil {
			return 0, "", arsenal.Errorf(arsenal.DataLoss, Kind, op, "line %d: not an audit record", line)
		}
		if r.Seq != seq+1 {
			return 0, "", arsenal.Errorf(arsenal.DataLoss, Kind, op, "line %d: sequence %d where %d was expected (a record removed, inserted or moved)", line, r.Seq, seq+1)
		}
		if r.Prev != head {
			return 0, "", arsenal.Errorf(arsenal.DataLoss, Kind, op, "line %d: does not follow the record before it (removed, inserted or moved)", line)
		}
		want, err := sum(key, r)
		if err != nil || !hmac.Equal([]byte(want), []byte(r.Hash)) {
			return 0, "", arsenal.Errorf(arsenal.DataLoss, Kind, op, "line %d: hash mismatch (the record was edited, or the key is wrong)", line)
		}
		seq, head = r.Seq, r.Hash
	}
}

// readLine reads one line of at most maxChainLine bytes, without its
// newline; a last line without a newline is a torn write.
func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		part, err := br.ReadSlice('\n')
		out = append(out, part...)
		if len(out) > maxChainLine {
			return nil, fmt.Errorf("record longer than 1 MiB")
		}
		switch {
		case err == nil:
			return out[:len(out)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(out) == 0:
			return nil, io.EOF
		case err == io.EOF:
			return nil, fmt.Errorf("torn last record (no newline)")
		default:
			return nil, err
		}
	}
}
