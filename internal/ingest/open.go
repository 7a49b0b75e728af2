package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
)

// sniffSize is how much decompressed content format detection looks at.
const sniffSize = 64 << 10

// gzipMagic starts every gzip stream; compression is detected by content, never by name.
var gzipMagic = []byte{0x1f, 0x8b}

// parquetMagic starts (and ends) every Parquet file.
var parquetMagic = []byte("PAR1")

// spool copies standard input to a temporary file so that it can be hashed before it is read
// (re-ingesting the same content must be a no-op) and read at random when it is Parquet.
func spool(r io.Reader, dir string) (path string, size int64, err error) {
	f, err := os.CreateTemp(dir, "mcpwatch-stdin-*")
	if err != nil {
		return "", 0, fmt.Errorf("spooling standard input: %w", err)
	}
	size, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", 0, fmt.Errorf("spooling standard input: %w", err)
	}
	return f.Name(), size, nil
}

// hashFile returns the hex SHA-256 of a file's raw bytes: the identity of an input in the
// lake's manifest.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// content is an opened input: its decompressed stream, the first bytes of it for format
// detection, and random access when the file is not compressed.
type content struct {
	r        io.Reader // decompressed content, starting at the beginning (head included)
	head     []byte
	readerAt io.ReaderAt
	size     int64
	raw      *countingReader // raw bytes consumed, for progress
	closers  []func() error
}

func (c *content) Close() error {
	var errs []error
	for i := len(c.closers) - 1; i >= 0; i-- {
		errs = append(errs, c.closers[i]())
	}
	return errors.Join(errs...)
}

// openContent opens a file, decompresses it when it is gzip (detected by its magic bytes, also
// for concatenated gzip members as AWS writes them), and reads the head for detection. Gzip
// Parquet (rare) is decompressed to a temporary file so that the Parquet reader gets random
// access.
func openContent(path, tmpDir string) (*content, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	c := &content{raw: &countingReader{r: f}, closers: []func() error{f.Close}}
	br := bufio.NewReaderSize(c.raw, 256<<10)
	magic, _ := br.Peek(2)
	if !bytes.Equal(magic, gzipMagic) {
		c.r, c.readerAt, c.size = br, f, st.Size()
		c.head, _ = br.Peek(sniffSize)
		c.head = parquetHead(c.head, f, c.size)
		return c, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("gzip: %w", err)
	}
	c.closers = append(c.closers, zr.Close)
	zbr := bufio.NewReaderSize(zr, 256<<10)
	c.r = zbr
	c.head, err = zbr.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		// A stream that breaks in its first 64 KiB still gets detected and read up to the
		// break, so that what precedes it is accounted for; the error surfaces when read.
		c.head = bytes.Clone(c.head)
	}
	if bytes.HasPrefix(c.head, parquetMagic) {
		tmp, err := os.CreateTemp(tmpDir, "mcpwatch-parquet-*")
		if err != nil {
			c.Close()
			return nil, err
		}
		c.closers = append(c.closers, func() error { return os.Remove(tmp.Name()) }, tmp.Close)
		n, err := io.Copy(tmp, zbr)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("decompressing Parquet: %w", err)
		}
		c.r, c.readerAt, c.size = io.NewSectionReader(tmp, 0, n), tmp, n
		c.head = parquetHead(c.head, tmp, n)
	}
	return c, nil
}

// maxFooter bounds the Parquet footer read for format detection.
const maxFooter = 16 << 20

// parquetHead returns what format detection sees of Parquet content: the magic followed by
// the file's footer, where Parquet keeps its schema (the first bytes of a large file are
// column data, which says nothing about the format). Other content is returned unchanged.
func parquetHead(head []byte, r io.ReaderAt, size int64) []byte {
	if !bytes.HasPrefix(head, parquetMagic) || size < 12 {
		return head
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil || !bytes.Equal(tail[4:], parquetMagic) {
		return head
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n <= 0 || n > size-12 || n > maxFooter {
		return head
	}
	out := make([]byte, 4+n)
	copy(out, parquetMagic)
	if _, err := r.ReadAt(out[4:], size-8-n); err != nil {
		return head
	}
	return out
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
