"""Sign-up, sign-in and token verification (local accounts or Supabase Auth)."""
