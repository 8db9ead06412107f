-- The text of a job as it is recognised (issue 15: OpenAI's `stream=true`), for the jobs whose
-- request streams it: NULL for every other job; '' when created, appended to by the worker
-- holding the job (about once a second, only the words settled since), emptied when a worker
-- claims the job again, and cleared when the job ends (the transcript is then in the outputs,
-- and files that expire must not live on here).
ALTER TABLE jobs ADD COLUMN partial_text TEXT;
