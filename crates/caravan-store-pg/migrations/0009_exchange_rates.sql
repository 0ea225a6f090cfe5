-- Official exchange rates administrators enter for the tariff calculator (issue 18):
-- one rate per day and currency pair; the rate is the decimal text entered.
CREATE TABLE exchange_rates (
    rate_date TEXT NOT NULL,
    from_currency TEXT NOT NULL,
    to_currency TEXT NOT NULL,
    rate TEXT NOT NULL,
    source TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    entered_at_ms BIGINT NOT NULL,
    PRIMARY KEY (rate_date, from_currency, to_currency)
);
CREATE INDEX exchange_rates_to_date ON exchange_rates(to_currency, rate_date);
