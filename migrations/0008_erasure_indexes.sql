CREATE INDEX "messages_recipient_idx" ON "messages" USING btree (lower("to_address"));--> statement-breakpoint
CREATE INDEX "tracking_events_candidacy_idx" ON "tracking_events" USING btree ("candidacy_id");--> statement-breakpoint
CREATE INDEX "tracking_events_unmatched_recipient_idx" ON "tracking_events" USING btree (lower("payload"->>'rcpt_to')) WHERE "tracking_events"."message_id" is null;