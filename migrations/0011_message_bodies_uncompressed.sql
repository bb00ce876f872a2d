-- A mail's stored text and HTML are written once per mail on the send path, and erased with the
-- candidacy weeks later: compressing them (pglz) cost more of PostgreSQL's CPU per mail than any
-- other statement of it (2026-12-05 mail bench), to save a few KB each for a short while.
-- EXTERNAL keeps them out of line, uncompressed. Existing rows keep their compressed values.
ALTER TABLE "messages" ALTER COLUMN "body_text" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "body_html" SET STORAGE EXTERNAL;
