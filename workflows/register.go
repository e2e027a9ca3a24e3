package workflows

import "go.temporal.io/sdk/worker"

// RegisterAll registers every workflow; the worker wiring and the replay
// test share it so a new workflow cannot be forgotten in either.
func RegisterAll(r worker.WorkflowRegistry) {
	r.RegisterWorkflow(SelfCheck)
	r.RegisterWorkflow(Registration)
	r.RegisterWorkflow(Delivery)
	r.RegisterWorkflow(Approval)
	r.RegisterWorkflow(AccountEmail)
}
