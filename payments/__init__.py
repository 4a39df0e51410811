"""Stripe: buyers pay invoices, groups are paid out (Connect transfers or recorded payouts), webhooks."""
