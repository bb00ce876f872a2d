-- A candidacy is introduced to the client only with live consent for that vacancy (Art. 6(1)(a),
-- Art. 7): the database refuses the update that sets introduced_at otherwise, whatever the code
-- path. In READ COMMITTED an UPDATE acts on the newest committed row, so a withdrawal committed
-- a moment earlier is what this trigger sees.
CREATE FUNCTION candidacies_introduction_needs_consent() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.consent_state <> 'given'
     OR (NEW.consent_expires_at IS NOT NULL AND NEW.consent_expires_at <= NEW.introduced_at)
     OR NEW.stage IN ('withdrawn', 'objected', 'erased') THEN
    RAISE EXCEPTION 'a candidacy without live consent cannot be introduced'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'candidacies_introduction_needs_consent';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER candidacies_introduction_needs_consent
  BEFORE UPDATE OF introduced_at ON candidacies
  FOR EACH ROW
  WHEN (OLD.introduced_at IS NULL AND NEW.introduced_at IS NOT NULL)
  EXECUTE FUNCTION candidacies_introduction_needs_consent();
