package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/herald-dev/herald/publisher/format"
	"github.com/herald-dev/herald/publisher/webhook"
)

func Example() {
	secret, err := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}

	// The subscriber's endpoint verifies each request before trusting it.
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(r.Header, body, []webhook.Secret{secret}, time.Now(), 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Printf("received %s %s\n", r.Header.Get(webhook.HeaderID), body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer endpoint.Close()

	s := webhook.NewSender(webhook.Config{})
	msg := &format.Message{Body: []byte(`{"status":"DOWNLOADED"}`)}
	res, err := s.Send(context.Background(), endpoint.URL, "evt_42", msg, []webhook.Secret{secret})
	if err != nil {
		fmt.Println("retriable:", webhook.IsRetriable(err), err)
		return
	}
	fmt.Println("status", res.Status)
	// Output:
	// received evt_42 {"status":"DOWNLOADED"}
	// status 204
}

func ExampleSign() {
	secret, _ := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	fmt.Println(webhook.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`), secret))
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

func ExampleBackoff() {
	half := func() float64 { return 0.5 }
	for attempt := 1; attempt <= 5; attempt++ {
		fmt.Println(webhook.Backoff(attempt, time.Second, 5*time.Second, half))
	}
	// Output:
	// 500ms
	// 1s
	// 2s
	// 2.5s
	// 2.5s
}
