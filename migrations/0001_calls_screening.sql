ALTER TABLE `calls` ADD `screening_required` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `calls_sid_idx` ON `calls` (`call_sid`);