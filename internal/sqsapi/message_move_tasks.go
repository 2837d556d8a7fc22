package sqsapi

import (
	"context"

	"github.com/herald-dev/herald/internal/queue"
)

// StartMessageMoveTaskInput is the input of StartMessageMoveTask.
type StartMessageMoveTaskInput struct {
	SourceArn                    string `json:"SourceArn"`
	DestinationArn               string `json:"DestinationArn"`
	MaxNumberOfMessagesPerSecond *int   `json:"MaxNumberOfMessagesPerSecond"`
}

// StartMessageMoveTaskOutput is the output of StartMessageMoveTask.
type StartMessageMoveTaskOutput struct {
	TaskHandle string `json:"TaskHandle"`
}

// ListMessageMoveTasksInput is the input of ListMessageMoveTasks.
type ListMessageMoveTasksInput struct {
	SourceArn  string `json:"SourceArn"`
	MaxResults int    `json:"MaxResults"`
}

// ListMessageMoveTasksResultEntry is one listed task.
type ListMessageMoveTasksResultEntry struct {
	TaskHandle                        string `json:"TaskHandle,omitempty"`
	Status                            string `json:"Status"`
	SourceArn                         string `json:"SourceArn"`
	DestinationArn                    string `json:"DestinationArn,omitempty"`
	MaxNumberOfMessagesPerSecond      int    `json:"MaxNumberOfMessagesPerSecond,omitempty"`
	ApproximateNumberOfMessagesMoved  int64  `json:"ApproximateNumberOfMessagesMoved"`
	ApproximateNumberOfMessagesToMove int64  `json:"ApproximateNumberOfMessagesToMove"`
	FailureReason                     string `json:"FailureReason,omitempty"`
	StartedTimestamp                  int64  `json:"StartedTimestamp"`
}

// ListMessageMoveTasksOutput is the output of ListMessageMoveTasks.
type ListMessageMoveTasksOutput struct {
	Results []ListMessageMoveTasksResultEntry `json:"Results" query:"ListMessageMoveTasksResultEntry"`
}

// CancelMessageMoveTaskInput is the input of CancelMessageMoveTask.
type CancelMessageMoveTaskInput struct {
	TaskHandle string `json:"TaskHandle"`
}

// CancelMessageMoveTaskOutput is the output of CancelMessageMoveTask.
type CancelMessageMoveTaskOutput struct {
	ApproximateNumberOfMessagesMoved int64 `json:"ApproximateNumberOfMessagesMoved"`
}

func init() {
	register("StartMessageMoveTask", startMessageMoveTask)
	register("ListMessageMoveTasks", listMessageMoveTasks)
	register("CancelMessageMoveTask", cancelMessageMoveTask)
}

func startMessageMoveTask(ctx context.Context, c *call, in *StartMessageMoveTaskInput) (*StartMessageMoveTaskOutput, error) {
	h, err := c.h.cfg.Engine.StartMoveTask(c.account, in.SourceArn, in.DestinationArn, in.MaxNumberOfMessagesPerSecond)
	if err != nil {
		return nil, err
	}
	return &StartMessageMoveTaskOutput{TaskHandle: h}, nil
}

func listMessageMoveTasks(ctx context.Context, c *call, in *ListMessageMoveTasksInput) (*ListMessageMoveTasksOutput, error) {
	ts, err := c.h.cfg.Engine.MoveTasks(c.account, in.SourceArn, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &ListMessageMoveTasksOutput{Results: []ListMessageMoveTasksResultEntry{}}
	for _, t := range ts {
		e := ListMessageMoveTasksResultEntry{
			Status: t.Status, SourceArn: t.SourceArn, DestinationArn: t.DestinationArn,
			MaxNumberOfMessagesPerSecond: t.MaxPerSecond, ApproximateNumberOfMessagesMoved: t.Moved,
			ApproximateNumberOfMessagesToMove: t.ToMove, FailureReason: t.FailureReason, StartedTimestamp: t.StartedTimestamp,
		}
		if t.Status == queue.TaskRunning {
			e.TaskHandle = t.TaskHandle
		}
		out.Results = append(out.Results, e)
	}
	return out, nil
}

func cancelMessageMoveTask(ctx context.Context, c *call, in *CancelMessageMoveTaskInput) (*CancelMessageMoveTaskOutput, error) {
	n, err := c.h.cfg.Engine.CancelMoveTask(c.account, in.TaskHandle)
	if err != nil {
		return nil, err
	}
	return &CancelMessageMoveTaskOutput{ApproximateNumberOfMessagesMoved: n}, nil
}
