// Package codectest holds the payload key ring every test stack uses, so
// histories recorded by the integration tests replay in workflows' replay
// test. It is public knowledge: never use it outside tests.
package codectest

// Keys is GATEHOUSE_PAYLOAD_KEYS of every test app and test client.
const Keys = "test-2025:6AbCdI4U2ZUbRwXwJ7Q5LgDganBqEFccp+wwG0HCKHM="
