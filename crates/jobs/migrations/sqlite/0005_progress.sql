-- Progress (issue 14): how far the worker holding a job has got, as the JSON object
-- GET job shows (`{"stage","fraction","audio_seconds_done","eta_seconds"}`, written at most
-- about once a second), and its latest sign of life (claim, lease renewal, progress report,
-- stage move), so a client can tell a working job from one whose worker died.
ALTER TABLE jobs ADD COLUMN progress TEXT;
ALTER TABLE jobs ADD COLUMN heartbeat_at TEXT;
