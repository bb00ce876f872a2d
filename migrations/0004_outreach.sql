CREATE TYPE "public"."mail_template" AS ENUM('consent_request', 'consent_reminder', 'art14_notice', 'introduction_confirmation', 'request_received', 'request_extended', 'request_completed');--> statement-breakpoint
CREATE TYPE "public"."message_status" AS ENUM('queued', 'sending', 'sent', 'delivered', 'opened', 'clicked', 'bounced', 'failed', 'cancelled');--> statement-breakpoint
CREATE TABLE "messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"candidacy_id" uuid,
	"subject_request_id" uuid,
	"template" "mail_template" NOT NULL,
	"language" "language" NOT NULL,
	"status" "message_status" NOT NULL,
	"status_reason" text,
	"requested_by" uuid,
	"dedupe_key" text,
	"to_address" text,
	"subject" text,
	"body_text" text,
	"body_html" text,
	"message_id_header" text,
	"provider_message_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"queued_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"status_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_candidacy_id_candidacies_id_fk" FOREIGN KEY ("candidacy_id") REFERENCES "public"."candidacies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "messages_dedupe_key" ON "messages" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "messages_candidacy_idx" ON "messages" USING btree ("candidacy_id");--> statement-breakpoint
CREATE INDEX "messages_pending_idx" ON "messages" USING btree ("status_at") WHERE "messages"."status" in ('queued', 'sending');--> statement-breakpoint
CREATE INDEX "messages_provider_idx" ON "messages" USING btree ("provider_message_id");