package main

import (
	"context"
	"io"

	"github.com/herald-dev/herald/internal/bench"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return bench.Main(ctx, args, stdout, stderr)
}
