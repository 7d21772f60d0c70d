// Every test file of the scale project runs on PostgreSQL and Redis (test/utils/backends.ts).
process.env.TEST_SCALE = '1';
