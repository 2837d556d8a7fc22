// Package consumer is Herald's notification consumer: the loop that every
// integrator of a status queue writes by hand, done once.
//
// Messages arrive from a source (an SQS queue, see package sqssource, or SNS
// HTTP pushes, see package snshttp) and flow through a Pipeline:
//
//  1. the SNS envelope is unwrapped when present, so raw and enveloped
//     deliveries look the same to the rest of the pipeline;
//  2. a message that carries several events is split into Events;
//  3. each event is validated against a JSON Schema when one is configured
//     (an invalid event goes to quarantine, never silently dropped);
//  4. each event's deduplication key is claimed in a durable Store
//     (two-phase: claimed, then done only after its sinks succeeded);
//  5. an event older than the newest version already applied to its entity
//     is dropped as stale;
//  6. the event is routed by its fields to one or more Sinks.
//
// A message is acknowledged (deleted from its queue) only when every event
// in it was delivered, found a duplicate, found stale or quarantined. A
// retriable failure leaves the message for redelivery, where the events that
// already succeeded are skipped as duplicates.
//
// The package knows nothing of HTTP, SQL or Kafka: sources, sinks and stores
// are adapters in sub-packages, wired together by cmd/herald.
package consumer
