"""Scheduled work: the job registry, the runner that makes each slot run once, the leader lock and the scheduler."""
