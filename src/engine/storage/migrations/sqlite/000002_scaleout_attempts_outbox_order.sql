-- Each execution attempt of a run (the process that started it or took it over, and when), for the run detail.
ALTER TABLE {{prefix}}runs ADD COLUMN attempts TEXT;
