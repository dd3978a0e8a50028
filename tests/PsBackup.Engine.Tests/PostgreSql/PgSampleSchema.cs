namespace PsBackup.Engine.Tests.PostgreSql;

/// <summary>
/// A database shaped like the public samples admins try a tool with (pagila/dvdrental): 21 tables
/// over two schemas with an extension type (citext), enums (one in another schema), domains with
/// checks and defaults, a composite and an array of it, a range type, arrays of an enum, sequences
/// that defaults use without being owned, identity and serial columns, a payment table partitioned
/// by month with a hash-partitioned month and a default partition, foreign keys (a circular pair,
/// one deferrable, one with ON DELETE CASCADE), triggers that keep last_update (one disabled) and a
/// full-text trigger, a check calling a SQL function, comments on tables, columns, types and functions.
/// </summary>
public static class PgSampleSchema
{
    public const string Ddl = """
        CREATE EXTENSION citext;
        CREATE SCHEMA rental;
        CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');
        CREATE TYPE rental.status AS ENUM ('open', 'returned', 'lost');
        CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
        CREATE DOMAIN posint AS integer DEFAULT 1 NOT NULL CHECK (VALUE > 0);
        CREATE TYPE full_name AS (first text, last text COLLATE "C");
        CREATE TYPE price_range AS RANGE (subtype = numeric);
        COMMENT ON TYPE mpaa_rating IS 'Motion Picture Association ratings';
        COMMENT ON DOMAIN year IS 'A year a film can be released in';

        CREATE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.last_update = CURRENT_TIMESTAMP;
            RETURN NEW;
        END $$;
        COMMENT ON FUNCTION last_updated() IS 'Keeps last_update current';
        CREATE FUNCTION is_valid_email(citext) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 LIKE '%_@_%' $$;

        CREATE SEQUENCE actor_actor_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
        CREATE SEQUENCE category_category_id_seq;
        CREATE SEQUENCE film_film_id_seq START WITH 100 INCREMENT BY 2 CACHE 5;

        CREATE TABLE language (language_id serial PRIMARY KEY, name character(20) NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
        CREATE TABLE country (country_id serial PRIMARY KEY, country text NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
        CREATE TABLE city (city_id serial PRIMARY KEY, city text NOT NULL, country_id integer NOT NULL REFERENCES country, last_update timestamptz DEFAULT now() NOT NULL);
        CREATE INDEX idx_fk_country_id ON city (country_id);
        CREATE TABLE address (address_id serial PRIMARY KEY, address text NOT NULL, address2 text, district text NOT NULL,
            city_id integer NOT NULL REFERENCES city, postal_code text, phone text NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
        CREATE TABLE actor (actor_id integer DEFAULT nextval('actor_actor_id_seq') NOT NULL PRIMARY KEY,
            first_name text NOT NULL, last_name text NOT NULL, name full_name, last_update timestamptz DEFAULT now() NOT NULL);
        CREATE INDEX idx_actor_last_name ON actor (last_name);
        CREATE TABLE category (category_id integer DEFAULT nextval('category_category_id_seq') NOT NULL PRIMARY KEY,
            name text NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
        CREATE TABLE film (film_id integer DEFAULT nextval('film_film_id_seq') NOT NULL PRIMARY KEY,
            title text NOT NULL, description text, release_year year,
            language_id integer NOT NULL REFERENCES language ON UPDATE CASCADE ON DELETE RESTRICT,
            original_language_id integer REFERENCES language (language_id),
            rental_duration smallint DEFAULT 3 NOT NULL, rental_rate numeric(4,2) DEFAULT 4.99 NOT NULL, length smallint,
            replacement_cost numeric(5,2) DEFAULT 19.99 NOT NULL, rating mpaa_rating DEFAULT 'G', last_update timestamptz DEFAULT now() NOT NULL,
            special_features text[], fulltext tsvector NOT NULL, rating_history mpaa_rating[], price price_range, stock posint);
        CREATE INDEX film_fulltext_idx ON film USING gist (fulltext);
        CREATE INDEX idx_title ON film (title);
        CREATE TRIGGER film_fulltext_trigger BEFORE INSERT OR UPDATE ON film
            FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger('fulltext', 'pg_catalog.english', 'title', 'description');
        CREATE TABLE film_actor (actor_id integer NOT NULL REFERENCES actor ON UPDATE CASCADE ON DELETE RESTRICT,
            film_id integer NOT NULL REFERENCES film ON UPDATE CASCADE ON DELETE RESTRICT, last_update timestamptz DEFAULT now() NOT NULL,
            PRIMARY KEY (actor_id, film_id));
        CREATE TABLE film_category (film_id integer NOT NULL REFERENCES film ON UPDATE CASCADE ON DELETE RESTRICT,
            category_id integer NOT NULL REFERENCES category ON UPDATE CASCADE ON DELETE RESTRICT, last_update timestamptz DEFAULT now() NOT NULL,
            PRIMARY KEY (film_id, category_id));
        CREATE TABLE store (store_id serial PRIMARY KEY, manager_staff_id integer NOT NULL, address_id integer NOT NULL REFERENCES address,
            last_update timestamptz DEFAULT now() NOT NULL);
        CREATE TABLE staff (staff_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, address_id integer NOT NULL REFERENCES address,
            email text, store_id integer NOT NULL REFERENCES store, active boolean DEFAULT true NOT NULL, username text NOT NULL,
            picture bytea, nicknames full_name[], last_update timestamptz DEFAULT now() NOT NULL);
        ALTER TABLE store ADD CONSTRAINT store_manager_staff_id_fkey FOREIGN KEY (manager_staff_id) REFERENCES staff DEFERRABLE INITIALLY DEFERRED;
        CREATE UNIQUE INDEX idx_unq_manager_staff_id ON store (manager_staff_id);
        CREATE TABLE customer (customer_id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, store_id integer NOT NULL REFERENCES store,
            first_name text NOT NULL, last_name text NOT NULL, email citext UNIQUE CONSTRAINT customer_email_check CHECK (is_valid_email(email)),
            address_id integer NOT NULL REFERENCES address, activebool boolean DEFAULT true NOT NULL, create_date date DEFAULT CURRENT_DATE NOT NULL,
            favourite mpaa_rating, last_update timestamptz DEFAULT now());
        CREATE INDEX idx_last_name ON customer (last_name);
        CREATE TABLE inventory (inventory_id serial PRIMARY KEY, film_id integer NOT NULL REFERENCES film, store_id integer NOT NULL REFERENCES store,
            last_update timestamptz DEFAULT now() NOT NULL);
        CREATE TABLE rental.rental (rental_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, rental_date timestamptz NOT NULL,
            inventory_id integer NOT NULL REFERENCES inventory, customer_id integer NOT NULL REFERENCES customer ON DELETE CASCADE,
            return_date timestamptz, staff_id integer NOT NULL REFERENCES staff, status rental.status DEFAULT 'open' NOT NULL, period tstzrange,
            last_update timestamptz DEFAULT now() NOT NULL);
        CREATE UNIQUE INDEX idx_unq_rental ON rental.rental (rental_date, inventory_id, customer_id);
        CREATE TABLE payment (payment_id serial, customer_id integer NOT NULL REFERENCES customer ON DELETE CASCADE, staff_id integer NOT NULL REFERENCES staff,
            rental_id bigint REFERENCES rental.rental ON DELETE SET NULL, amount numeric(5,2) NOT NULL CONSTRAINT payment_amount_check CHECK (amount >= 0),
            payment_date timestamptz NOT NULL, PRIMARY KEY (payment_date, payment_id)) PARTITION BY RANGE (payment_date);
        CREATE INDEX idx_payment_customer ON payment (customer_id);
        CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-02-01 00:00:00+00');
        CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01 00:00:00+00') TO ('2022-03-01 00:00:00+00') PARTITION BY HASH (payment_id);
        CREATE TABLE payment_p2022_02_h0 PARTITION OF payment_p2022_02 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
        CREATE TABLE payment_p2022_02_h1 PARTITION OF payment_p2022_02 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
        CREATE TABLE payment_p2022_03 PARTITION OF payment FOR VALUES FROM ('2022-03-01 00:00:00+00') TO ('2022-04-01 00:00:00+00');
        CREATE TABLE payment_default PARTITION OF payment DEFAULT;

        CREATE TRIGGER last_updated BEFORE UPDATE ON actor FOR EACH ROW EXECUTE FUNCTION last_updated();
        CREATE TRIGGER last_updated BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION last_updated();
        CREATE TRIGGER last_updated BEFORE UPDATE ON film_actor FOR EACH ROW EXECUTE FUNCTION last_updated();
        CREATE TRIGGER last_updated BEFORE UPDATE ON film_category FOR EACH ROW EXECUTE FUNCTION last_updated();
        CREATE TRIGGER last_updated BEFORE UPDATE ON customer FOR EACH ROW EXECUTE FUNCTION last_updated();
        CREATE TRIGGER last_updated BEFORE UPDATE ON rental.rental FOR EACH ROW EXECUTE FUNCTION last_updated();
        ALTER TABLE film_category DISABLE TRIGGER last_updated;
        COMMENT ON TRIGGER last_updated ON film IS 'Touch on change';

        COMMENT ON TABLE film IS 'The catalogue';
        COMMENT ON COLUMN film.rating_history IS 'Every rating the film had';
        COMMENT ON TABLE payment IS 'Payments, by month';
        COMMENT ON COLUMN customer.email IS 'Case-insensitive';
        COMMENT ON CONSTRAINT customer_email_check ON customer IS 'Looks like an address';
        COMMENT ON INDEX idx_title IS 'Search by title';
        COMMENT ON TABLE rental.rental IS 'Who has what';
        """;

    public const string Rows = """
        BEGIN;
        INSERT INTO language (name) VALUES ('English'), ('Italian'), ('Japanese'), ('Mandarin'), ('French'), ('German');
        INSERT INTO country (country) SELECT 'Country ' || g FROM generate_series(1, 20) g;
        INSERT INTO city (city, country_id) SELECT 'City ' || g, 1 + g % 20 FROM generate_series(1, 60) g;
        INSERT INTO address (address, district, city_id, postal_code, phone)
            SELECT g || ' Main St', 'District ' || g % 7, 1 + g % 60, lpad(g::text, 5, '0'), '555-' || g FROM generate_series(1, 300) g;
        INSERT INTO store (manager_staff_id, address_id) VALUES (1, 1), (2, 2);
        INSERT INTO staff (first_name, last_name, address_id, email, store_id, username, picture, nicknames) VALUES
            ('Mike', 'Hillyer', 3, 'Mike.Hillyer@example.com', 1, 'Mike', '\x89504e47', ARRAY[ROW('Mike', 'H')::full_name, ROW('M', NULL)::full_name]),
            ('Jon', 'Stephens', 4, 'Jon.Stephens@example.com', 2, 'Jon', NULL, NULL);
        INSERT INTO actor (first_name, last_name, name)
            SELECT 'First' || g, 'Last' || g % 50, ROW('First' || g, 'Last "' || g || '"')::full_name FROM generate_series(1, 200) g;
        INSERT INTO category (name) SELECT 'Category ' || g FROM generate_series(1, 16) g;
        INSERT INTO film (title, description, release_year, language_id, original_language_id, rental_duration, rental_rate, length,
                          replacement_cost, rating, special_features, rating_history, price, stock)
            SELECT 'Film ' || g, 'A story about number ' || g, 1990 + g % 30, 1 + g % 6, CASE WHEN g % 3 = 0 THEN 2 END, 3 + g % 5,
                   0.99 + (g % 3) * 2, 60 + g % 120, 9.99 + g % 20, (enum_range(NULL::mpaa_rating))[1 + g % 5],
                   (ARRAY['Trailers', 'Commentaries', 'Deleted Scenes'])[1:1 + g % 3],
                   ARRAY[(enum_range(NULL::mpaa_rating))[1 + g % 5], 'PG']::mpaa_rating[], price_range(g, g + 10.5, '[)'), 1 + g % 10
            FROM generate_series(1, 400) g;
        INSERT INTO film_actor (actor_id, film_id) SELECT a.actor_id, f.film_id FROM actor a JOIN film f ON (a.actor_id * 7 + f.film_id) % 97 = 0;
        INSERT INTO film_category (film_id, category_id) SELECT film_id, 1 + film_id % 16 FROM film;
        INSERT INTO inventory (film_id, store_id) SELECT film_id, 1 + (film_id + g) % 2 FROM film, generate_series(1, 3) g;
        INSERT INTO customer (store_id, first_name, last_name, email, address_id, favourite, create_date)
            SELECT 1 + g % 2, 'Customer' || g, 'Family' || g % 40, 'Customer' || g || '@Example.com', 1 + g % 300,
                   CASE WHEN g % 4 > 0 THEN (enum_range(NULL::mpaa_rating))[1 + g % 5] END, date '2021-12-01' + g % 30
            FROM generate_series(1, 500) g;
        INSERT INTO rental.rental (rental_date, inventory_id, customer_id, return_date, staff_id, status, period)
            SELECT timestamptz '2022-01-01 00:00:00+00' + g * interval '53 minutes', 1 + g % 1200, 1 + g % 500,
                   CASE WHEN g % 5 > 0 THEN timestamptz '2022-01-01 00:00:00+00' + g * interval '53 minutes' + interval '3 days' END, 1 + g % 2,
                   (enum_range(NULL::rental.status))[1 + g % 3],
                   tstzrange(timestamptz '2022-01-01 00:00:00+00' + g * interval '53 minutes', timestamptz '2022-01-01 00:00:00+00' + g * interval '53 minutes' + interval '3 days')
            FROM generate_series(1, 2000) g;
        INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)
            SELECT 1 + g % 500, 1 + g % 2, 1 + g % 2000, (g % 1000) / 100.0, timestamptz '2022-01-01 00:00:00+00' + g * interval '47 minutes'
            FROM generate_series(1, 3500) g;
        COMMIT;
        """;

    /// <summary>Three rounds of changes between incrementals; the triggers at the source set last_update as they go.</summary>
    public static readonly string[] Changes =
    [
        """
        INSERT INTO film (title, description, language_id, rating, rating_history, price, stock)
            VALUES ('Film new', 'Added later', 1, 'NC-17', ARRAY['NC-17', 'R', 'G']::mpaa_rating[], price_range(1, NULL), 7);
        UPDATE film SET rating = 'R', rating_history = rating_history || 'R'::mpaa_rating, stock = stock + 1 WHERE film_id % 11 = 0;
        UPDATE actor SET name = ROW((name).first, 'Renamed')::full_name WHERE actor_id % 13 = 0;
        UPDATE customer SET favourite = 'PG-13', email = upper(email::text) WHERE customer_id % 9 = 0;
        DELETE FROM film_actor WHERE actor_id % 10 = 0;
        INSERT INTO payment (customer_id, staff_id, amount, payment_date)
            SELECT 1 + g % 500, 1, 1.5, timestamptz '2022-02-10 00:00:00+00' + g * interval '1 hour' FROM generate_series(1, 50) g;
        INSERT INTO payment (customer_id, staff_id, amount, payment_date) VALUES (7, 2, 9.99, '2023-06-01 12:00:00+00');
        -- Moves between partitions: decoded as a delete in one and an insert in the other.
        UPDATE payment SET payment_date = payment_date + interval '59 days' WHERE payment_id % 50 = 0 AND payment_date < '2022-02-01';
        UPDATE payment SET amount = amount + 1 WHERE payment_id % 7 = 0;
        """,
        """
        DELETE FROM payment WHERE customer_id BETWEEN 10 AND 20;
        DELETE FROM customer WHERE customer_id BETWEEN 10 AND 20; -- cascades to their rentals
        INSERT INTO rental.rental (rental_date, inventory_id, customer_id, staff_id, status, period)
            VALUES ('2022-05-01 10:00:00+00', 5, 30, 2, 'lost', '[2022-05-01 10:00:00+00,)');
        UPDATE rental.rental SET status = 'returned', return_date = rental_date + interval '1 day' WHERE rental_id % 17 = 0;
        UPDATE staff SET nicknames = nicknames || ROW('Jonny', 'S "2"')::full_name, picture = '\xdeadbeef' WHERE staff_id = 2;
        INSERT INTO category (name) VALUES ('Documentary');
        UPDATE film_category SET category_id = 17 WHERE film_id % 40 = 0;
        """,
        """
        UPDATE payment SET amount = amount * 2 WHERE payment_date >= '2022-02-01' AND payment_date < '2022-03-01';
        INSERT INTO payment (customer_id, staff_id, amount, payment_date)
            SELECT 21 + g % 400, 2, 0.5, timestamptz '2022-02-20 00:00:00+00' + g * interval '7 minutes' FROM generate_series(1, 200) g;
        TRUNCATE payment_default;
        SELECT setval('category_category_id_seq', 500);
        UPDATE film SET title = title || ' (remastered)' WHERE film_id % 29 = 0;
        DELETE FROM film_category WHERE film_id % 31 = 0;
        """,
    ];

    public static readonly string[] Tables =
    [
        "public.actor", "public.address", "public.category", "public.city", "public.country", "public.customer", "public.film",
        "public.film_actor", "public.film_category", "public.inventory", "public.language", "public.payment", "public.payment_default",
        "public.payment_p2022_01", "public.payment_p2022_02", "public.payment_p2022_02_h0", "public.payment_p2022_02_h1",
        "public.payment_p2022_03", "public.staff", "public.store", "rental.rental",
    ];

    /// <summary>Sequences that defaults use without a table owning them.</summary>
    public static readonly string[] Sequences = ["public.actor_actor_id_seq", "public.category_category_id_seq", "public.film_film_id_seq"];
}
