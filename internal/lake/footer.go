package lake

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquetMagic ends (and starts) every Parquet file.
const parquetMagic = "PAR1"

// stampFooter sets key-value metadata in the footer of the finished Parquet file at path,
// replacing keys already there, and makes the file durable. Only the footer is rewritten:
// the data and page indexes before it keep their offsets.
func stampFooter(path string, kv [][2]string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	var tail [8]byte
	if size < 12 {
		return errors.New("not a parquet file: too short")
	}
	if _, err := f.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	if string(tail[4:]) != parquetMagic {
		return errors.New("not a parquet file: no trailing magic")
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	start := size - 8 - n
	if start < int64(len(parquetMagic)) {
		return fmt.Errorf("not a parquet file: footer length %d", n)
	}
	footer := make([]byte, n)
	if _, err := f.ReadAt(footer, start); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	proto := &thrift.CompactProtocol{}
	var md format.FileMetaData
	if err := thrift.Unmarshal(proto, footer, &md); err != nil {
		return fmt.Errorf("decode footer: %w", err)
	}
	for _, p := range kv {
		replaced := false
		for i := range md.KeyValueMetadata {
			if md.KeyValueMetadata[i].Key == p[0] {
				md.KeyValueMetadata[i].Value = p[1]
				replaced = true
			}
		}
		if !replaced {
			md.KeyValueMetadata = append(md.KeyValueMetadata, format.KeyValue{Key: p[0], Value: p[1]})
		}
	}
	b, err := thrift.Marshal(proto, &md)
	if err != nil {
		return fmt.Errorf("encode footer: %w", err)
	}
	var buf bytes.Buffer
	buf.Write(b)
	binary.Write(&buf, binary.LittleEndian, uint32(len(b)))
	buf.WriteString(parquetMagic)
	if _, err := f.WriteAt(buf.Bytes(), start); err != nil {
		return err
	}
	if err := f.Truncate(start + int64(buf.Len())); err != nil {
		return err
	}
	return f.Sync()
}
