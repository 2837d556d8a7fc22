package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"time"
)

const subscriptionsUsage = `Usage: herald subscriptions <command> [flags]

Manages the publisher's subscriptions through Herald's API. Output is JSON.

Commands:
  list                     list subscriptions (--tenant T)
  get ID                   show one subscription
  create                   create a subscription from flags, or --file FILE (- for stdin)
  update ID --file FILE    replace a subscription (- for stdin)
  delete ID                delete a subscription
  test ID                  send a test notification now and report the outcome
  replay ID                deliver events again: --event ID... or --from T --to T
  deliveries ID            list a subscription's deliveries (--state dead)

Run 'herald subscriptions <command> --help' for the flags of a command.
`

// subCommand is one "herald subscriptions" command being parsed.
type subCommand struct {
	name     string
	fs       *flag.FlagSet
	endpoint *string
}

func newSubCommand(name, usage string, getenv func(string) string, stderr io.Writer) *subCommand {
	fs := flag.NewFlagSet("herald subscriptions "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, "Usage: herald subscriptions %s\n\nFlags:\n", usage); fs.PrintDefaults() }
	return &subCommand{name: name, fs: fs, endpoint: endpointFlag(fs, getenv)}
}

// parse parses args, which must hold exactly nargs positional arguments,
// and returns them with a client.
func (sc *subCommand) parse(args []string, nargs int, what string) ([]string, *apiClient, error) {
	pos, err := parseArgs(sc.fs, args)
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != nargs {
		if nargs == 0 {
			return nil, nil, usageError{fmt.Sprintf("subscriptions %s takes no arguments, got %q", sc.name, pos)}
		}
		return nil, nil, usageError{fmt.Sprintf("subscriptions %s needs %s", sc.name, what)}
	}
	c, err := newAPIClient(*sc.endpoint)
	return pos, c, err
}

func runSubscriptions(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return subscriptions(ctx, args, getenv, os.Stdin, stdout, stderr)
}

func subscriptions(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, subscriptionsUsage)
		return usageError{"subscriptions needs a command"}
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "-help", "help":
		fmt.Fprint(stdout, subscriptionsUsage)
		return nil
	case "list":
		sc := newSubCommand(cmd, "list [--tenant T]", getenv, stderr)
		tenant := sc.fs.String("tenant", "", "list only this `tenant`'s subscriptions")
		_, c, err := sc.parse(args, 0, "")
		if err != nil {
			return err
		}
		return listSubscriptions(ctx, c, *tenant, stdout)
	case "get", "delete":
		sc := newSubCommand(cmd, cmd+" ID", getenv, stderr)
		pos, c, err := sc.parse(args, 1, "a subscription ID")
		if err != nil {
			return err
		}
		if cmd == "delete" {
			if err := c.do(ctx, "DELETE", subPath(pos[0]), nil, nil, nil); err != nil {
				return err
			}
			return printJSON(stdout, map[string]any{"id": pos[0], "deleted": true})
		}
		return call(ctx, c, "GET", subPath(pos[0]), nil, stdout)
	case "create":
		return createSubscription(ctx, args, getenv, stdin, stdout, stderr)
	case "update":
		sc := newSubCommand(cmd, "update ID --file FILE", getenv, stderr)
		file := sc.fs.String("file", "", "the subscription as JSON: a `file`, or - for standard input (required)")
		pos, c, err := sc.parse(args, 1, "a subscription ID")
		if err != nil {
			return err
		}
		if *file == "" {
			return usageError{"subscriptions update needs --file (the whole subscription: update replaces it)"}
		}
		body, err := readJSONFile(*file, stdin)
		if err != nil {
			return err
		}
		return call(ctx, c, "PUT", subPath(pos[0]), body, stdout)
	case "test":
		sc := newSubCommand(cmd, "test ID [--event JSON|@FILE]", getenv, stderr)
		event := sc.fs.String("event", "", "the event to send, `JSON` or @FILE (default: a generated test event)")
		pos, c, err := sc.parse(args, 1, "a subscription ID")
		if err != nil {
			return err
		}
		var body any
		if *event != "" {
			raw, err := readValue("event", *event)
			if err != nil {
				return err
			}
			body = map[string]json.RawMessage{"event": raw}
		}
		var res struct {
			Delivered bool   `json:"delivered"`
			Error     string `json:"error"`
		}
		var raw json.RawMessage
		if err := c.do(ctx, "POST", subPath(pos[0])+"/test", nil, body, &raw); err != nil {
			return err
		}
		if err := printJSON(stdout, raw); err != nil {
			return err
		}
		if json.Unmarshal(raw, &res) == nil && !res.Delivered {
			return fmt.Errorf("the test notification was not delivered: %s", res.Error)
		}
		return nil
	case "replay":
		return replaySubscription(ctx, args, getenv, stdout, stderr)
	case "deliveries":
		sc := newSubCommand(cmd, "deliveries ID [--state S] [--limit N] [--after ID]", getenv, stderr)
		state := sc.fs.String("state", "", "only deliveries in this `state`: pending, delivered or dead")
		limit := sc.fs.Int("limit", 100, "the most deliveries to list, 1 to 1000")
		after := sc.fs.String("after", "", "list the deliveries after this `id` (the previous page's \"next\")")
		pos, c, err := sc.parse(args, 1, "a subscription ID")
		if err != nil {
			return err
		}
		q := url.Values{"limit": {strconv.Itoa(*limit)}}
		if *state != "" {
			q.Set("state", *state)
		}
		if *after != "" {
			q.Set("after", *after)
		}
		return call(ctx, c, "GET", subPath(pos[0])+"/deliveries?"+q.Encode(), nil, stdout)
	}
	fmt.Fprint(stderr, subscriptionsUsage)
	return usageError{fmt.Sprintf("unknown subscriptions command %q", cmd)}
}

func subPath(id string) string { return "/v1/subscriptions/" + url.PathEscape(id) }

// call makes a request and prints the answer indented.
func call(ctx context.Context, c *apiClient, method, path string, body any, stdout io.Writer) error {
	var out json.RawMessage
	if err := c.do(ctx, method, path, nil, body, &out); err != nil {
		return err
	}
	return printJSON(stdout, out)
}

// listSubscriptions prints every subscription (of a tenant), following
// the pages, as one JSON array.
func listSubscriptions(ctx context.Context, c *apiClient, tenant string, stdout io.Writer) error {
	all := []json.RawMessage{}
	q := url.Values{"limit": {"1000"}}
	if tenant != "" {
		q.Set("tenant", tenant)
	}
	for {
		var page struct {
			Subscriptions []json.RawMessage `json:"subscriptions"`
			Next          string            `json:"next"`
		}
		if err := c.do(ctx, "GET", "/v1/subscriptions?"+q.Encode(), nil, nil, &page); err != nil {
			return err
		}
		all = append(all, page.Subscriptions...)
		if page.Next == "" {
			return printJSON(stdout, all)
		}
		q.Set("after", page.Next)
	}
}

// readJSONFile reads a JSON document from a file or, for "-", stdin.
func readJSONFile(name string, stdin io.Reader) (json.RawMessage, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, usageError{fmt.Sprintf("--file: %v", err)}
	}
	if !json.Valid(b) {
		return nil, usageError{fmt.Sprintf("--file %s: not valid JSON", name)}
	}
	return b, nil
}

func replaySubscription(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sc := newSubCommand("replay", "replay ID (--event ID... | --from TIME --to TIME)", getenv, stderr)
	var events stringList
	sc.fs.Var(&events, "event", "an event `id` to deliver again (repeatable)")
	from := sc.fs.String("from", "", "replay the events that occurred from this RFC 3339 `time` (inclusive)")
	to := sc.fs.String("to", "", "... up to this RFC 3339 `time` (exclusive)")
	pos, c, err := sc.parse(args, 1, "a subscription ID")
	if err != nil {
		return err
	}
	body := map[string]any{}
	switch {
	case len(events) > 0 && (*from != "" || *to != ""):
		return usageError{"subscriptions replay: give --event or --from and --to, not both"}
	case len(events) > 0:
		body["event_ids"] = []string(events)
	case *from != "" && *to != "":
		for name, v := range map[string]string{"from": *from, "to": *to} {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return usageError{fmt.Sprintf("--%s %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", name, v)}
			}
			body[name] = t
		}
	default:
		return usageError{"subscriptions replay needs --event ID (repeatable) or both --from and --to"}
	}
	return call(ctx, c, "POST", subPath(pos[0])+"/replay", body, stdout)
}

func createSubscription(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	sc := newSubCommand("create", "create [flags] | create --file FILE | create -", getenv, stderr)
	fs := sc.fs
	var eventTypes, statuses, brokers, secrets stringList
	tenant := fs.String("tenant", "", "the `tenant` whose events the subscription receives (required)")
	fs.Var(&eventTypes, "event-type", "an event `type` wanted, exact or ending in * (repeatable; default all)")
	fs.Var(&statuses, "status", "a `status` wanted (repeatable; default all)")
	sqsURL := fs.String("sqs", "", "deliver to this SQS queue `URL`")
	snsARN := fs.String("sns", "", "deliver to this SNS topic `ARN`")
	httpsURL := fs.String("https", "", "deliver to this https endpoint `URL` (a signing secret is generated)")
	fs.Var(&secrets, "secret", "a webhook signing `secret` whsec_... for --https (repeatable; default generated)")
	kafkaTopic := fs.String("kafka-topic", "", "deliver to this Kafka `topic`")
	fs.Var(&brokers, "kafka-broker", "a Kafka bootstrap broker `host:port` (repeatable; with --kafka-topic)")
	format := fs.String("format", "", "the message `format` (default: Herald's)")
	formatVersion := fs.String("format-version", "", "the format's `version` (default: the format's default)")
	inactive := fs.Bool("inactive", false, "create the subscription inactive (it receives nothing until activated)")
	file := fs.String("file", "", "the subscription as JSON: a `file`, or - for standard input (instead of the flags)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 1 && pos[0] == "-" && *file == "":
		*file = "-"
	case len(pos) > 0:
		return usageError{fmt.Sprintf("subscriptions create takes no arguments but \"-\", got %q", pos)}
	}
	c, err := newAPIClient(*sc.endpoint)
	if err != nil {
		return err
	}
	if *file != "" {
		other := ""
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "file" && f.Name != "endpoint" {
				other = f.Name
			}
		})
		if other != "" {
			return usageError{fmt.Sprintf("subscriptions create: --%s does not go with --file", other)}
		}
		body, err := readJSONFile(*file, stdin)
		if err != nil {
			return err
		}
		return call(ctx, c, "POST", "/v1/subscriptions", body, stdout)
	}
	if *tenant == "" {
		return usageError{"subscriptions create needs --tenant (or --file)"}
	}
	dest := map[string]any{}
	n := 0
	if *sqsURL != "" {
		n++
		dest["type"], dest["url"] = "sqs", *sqsURL
	}
	if *snsARN != "" {
		n++
		dest["type"], dest["topic_arn"] = "sns", *snsARN
	}
	if *httpsURL != "" {
		n++
		dest["type"], dest["url"] = "https", *httpsURL
		if len(secrets) > 0 {
			dest["secrets"] = []string(secrets)
		}
	}
	if *kafkaTopic != "" || len(brokers) > 0 {
		n++
		if *kafkaTopic == "" || len(brokers) == 0 {
			return usageError{"subscriptions create: a Kafka destination needs --kafka-topic and at least one --kafka-broker"}
		}
		dest["type"], dest["topic"], dest["brokers"] = "kafka", *kafkaTopic, []string(brokers)
	}
	switch {
	case n == 0:
		return usageError{"subscriptions create needs a destination: --sqs URL, --sns ARN, --https URL or --kafka-topic T with --kafka-broker HOST:PORT"}
	case n > 1:
		return usageError{"subscriptions create: give one destination (--sqs, --sns, --https or --kafka-topic)"}
	case len(secrets) > 0 && *httpsURL == "":
		return usageError{"subscriptions create: --secret applies to --https only"}
	}
	body := map[string]any{
		"tenant": *tenant, "event_types": []string(eventTypes), "statuses": []string(statuses),
		"destination": dest, "format": *format, "format_version": *formatVersion, "active": !*inactive,
	}
	return call(ctx, c, "POST", "/v1/subscriptions", body, stdout)
}
