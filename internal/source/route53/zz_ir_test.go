package route53

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

func TestIRHarness(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("IR_ITERS"))
	if n == 0 {
		t.Skip()
	}
	data := queryLog(benchRecords)
	for range n {
		s := &sourcetest.CountSink{}
		if err := (Format{}).Read(context.Background(), source.Input{Name: "b", R: bytes.NewReader(data)}, s); err != nil {
			t.Fatal(err)
		}
	}
}
