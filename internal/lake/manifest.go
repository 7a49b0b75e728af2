package lake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// manifestRel is the manifest's path in the lake.
const manifestRel = "_mcpwatch/manifest.ndjson"

// Counts is the caller's account of the records of one input: every record read is an
// event, a dead letter or a skip.
type Counts struct {
	Read        int64 `json:"read"`
	Events      int64 `json:"events"`
	DeadLetters int64 `json:"dead_letters"`
	Skipped     int64 `json:"skipped"`
}

// Entry is one line of the manifest: a committed transaction.
type Entry struct {
	// Hash is the SHA-256 (lower-case hex) of the raw input; "" for a commit that is not an
	// input, such as a detection run, which Run then identifies.
	Hash string `json:"hash,omitempty"`
	Run  string `json:"run,omitempty"`
	// Name, Size and ModTime describe the input as InputInfo gave them.
	Name    string    `json:"name,omitempty"`
	Size    int64     `json:"size,omitempty"`
	ModTime time.Time `json:"mtime,omitzero"`
	// CommittedAt is when the commit was made.
	CommittedAt time.Time `json:"committed_at"`
	// Counts is what the caller reported at commit.
	Counts Counts `json:"counts"`
	// Rows is the number of rows written per table.
	Rows map[string]int64 `json:"rows,omitempty"`
	// Files and DeadLetters are the table files and dead-letter files committed,
	// slash-separated and relative to the lake root.
	Files       []string `json:"files,omitempty"`
	DeadLetters []string `json:"dead_letters,omitempty"`
	// Duplicate marks the entry of an input whose content an earlier entry committed: it
	// only records the input's name, size and mtime for LookupFile, and has no files.
	Duplicate bool `json:"duplicate,omitempty"`
	// Inputs are the inputs of a commit that stored several at once (see CommitInfo.Inputs).
	// They share one manifest line, so a crash can never record only some of them; in
	// memory each also has an entry of its own (with the commit's Run, files and time), which
	// Lookup and LookupFile return.
	Inputs []InputEntry `json:"inputs,omitempty"`
}

// InputEntry is one input of a commit that stored several.
type InputEntry struct {
	Hash    string    `json:"hash"`
	Name    string    `json:"name,omitempty"`
	Size    int64     `json:"size,omitempty"`
	ModTime time.Time `json:"mtime,omitzero"`
	Counts  Counts    `json:"counts"`
}

func (c *Counts) add(o Counts) {
	c.Read += o.Read
	c.Events += o.Events
	c.DeadLetters += o.DeadLetters
	c.Skipped += o.Skipped
}

// fileKey identifies an input file by what its directory entry says.
type fileKey struct {
	name string
	size int64
}

// manifest is the in-memory index of the manifest file. It is not safe for concurrent use.
type manifest struct {
	entries []Entry
	byHash  map[string]int
	byFile  map[fileKey]int
	// off is the length of the manifest file parsed so far, always at a line boundary.
	off int64
	// torn reports that the file's bytes past off do not end with a newline yet.
	torn bool
}

func newManifest() *manifest {
	return &manifest{byHash: map[string]int{}, byFile: map[fileKey]int{}}
}

// parse indexes the complete lines of data, which is the manifest's content from m.off on.
// A line that is not a valid entry is logged and skipped; an incomplete last line (a torn
// append, or one being written) is left for the next call.
func (m *manifest) parse(data []byte, log *slog.Logger) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			m.torn = true
			return
		}
		line := data[:i]
		data = data[i+1:]
		m.off += int64(i + 1)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			log.Warn("lake: skipping a bad manifest line", "offset", m.off-int64(i+1), "err", err)
			continue
		}
		m.add(e)
	}
	m.torn = false
}

// add indexes e, and each input of a commit of several inputs as an entry of its own.
func (m *manifest) add(e Entry) {
	m.addOne(e)
	for _, in := range e.Inputs {
		m.addOne(Entry{Hash: in.Hash, Run: e.Run, Name: in.Name, Size: in.Size, ModTime: in.ModTime,
			CommittedAt: e.CommittedAt, Counts: in.Counts, Files: e.Files, DeadLetters: e.DeadLetters})
	}
}

func (m *manifest) addOne(e Entry) {
	m.entries = append(m.entries, e)
	i := len(m.entries) - 1
	if e.Hash != "" {
		if _, dup := m.byHash[e.Hash]; !dup {
			m.byHash[e.Hash] = i
		}
		if e.Name != "" {
			m.byFile[fileKey{e.Name, e.Size}] = i
		}
	}
}

// lookup returns the entry of the input whose content hash is hash.
func (m *manifest) lookup(hash string) (Entry, bool) {
	if hash == "" {
		return Entry{}, false
	}
	i, ok := m.byHash[hash]
	if !ok {
		return Entry{}, false
	}
	return m.entries[i], true
}

// lookupFile returns the latest entry of the input named name with this size and mtime.
func (m *manifest) lookupFile(name string, size int64, mtime time.Time) (Entry, bool) {
	i, ok := m.byFile[fileKey{name, size}]
	if !ok || !m.entries[i].ModTime.Equal(mtime) {
		return Entry{}, false
	}
	return m.entries[i], true
}

// encodeEntry returns e as one manifest line.
func encodeEntry(e Entry) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("lake: encode manifest entry: %w", err)
	}
	return append(b, '\n'), nil
}
