CREATE TABLE "tracking_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"batch_id" text,
	"kind" text NOT NULL,
	"type" text NOT NULL,
	"message_id" uuid,
	"candidacy_id" uuid,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"payload" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tracking_events" ADD CONSTRAINT "tracking_events_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tracking_events_message_idx" ON "tracking_events" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "tracking_events_unmatched_idx" ON "tracking_events" USING btree ("received_at");