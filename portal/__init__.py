"""Portal store: district configuration, account and household records, tickets."""
