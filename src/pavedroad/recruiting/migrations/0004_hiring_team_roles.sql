-- A job has at most one hiring manager, one recruiter and one coordinator (interviewers are many): the
-- semantic model exposes each as a many-to-one relation of the job (`job.recruiter.name`), and the
-- compiler's no-fan-out guarantee rests on this index. Built CONCURRENTLY: live traffic keeps writing.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS job_hiring_team_one_per_role
    ON job_hiring_team (tenant_id, job_id, team_role) WHERE team_role IN ('hiring_manager', 'recruiter', 'coordinator');
