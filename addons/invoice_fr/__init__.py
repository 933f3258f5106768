"French invoices and quotes: mandatory mentions, PDF rendering, shop setup."
