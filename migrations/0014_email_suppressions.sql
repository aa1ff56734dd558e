CREATE TABLE `email_suppressions` (
	`clinic_id` text NOT NULL,
	`email_hash` text NOT NULL,
	`reason` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`clinic_id`, `email_hash`)
);
