package snshttp_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/snshttp"
)

// A Server that receives a local Herald broker's deliveries (signed with a
// certificate the broker serves over http on 127.0.0.1:9324) and hands
// each notification to a processor. Subscribe it with protocol http and
// endpoint http://127.0.0.1:8080/sns; it confirms the subscription itself.
func ExampleServer() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	var pipeline consumer.Processor = consumer.ProcessorFunc(
		func(ctx context.Context, msgs []*consumer.Message) []consumer.Outcome {
			outs := make([]consumer.Outcome, len(msgs))
			for i, m := range msgs {
				log.Info("notification", "id", m.ID, "bytes", len(m.Body))
				outs[i] = consumer.Delivered
			}
			return outs
		})

	srv, err := snshttp.NewServer(snshttp.Config{
		Listen:          "127.0.0.1:8080",
		Path:            "/sns",
		CertHostPattern: `^127\.0\.0\.1:9324$`,
		MatchHostPort:   true,
		AllowHTTPCerts:  true,
	}, pipeline, log)
	if err != nil {
		log.Error("config", "err", err)
		return
	}
	if err := srv.Start(ctx); err != nil {
		log.Error("start", "err", err)
		return
	}
	<-ctx.Done()
	if err := srv.Stop(context.Background()); err != nil {
		log.Error("stop", "err", err)
	}
}
