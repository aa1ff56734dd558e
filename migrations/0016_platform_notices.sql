CREATE TABLE `platform_notices` (
	`version` text PRIMARY KEY NOT NULL,
	`sent_at` integer NOT NULL,
	`recipients` integer NOT NULL
);
