package kafka

import (
	"crypto/sha256"
	"crypto/sha512"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

// scramClient adapts xdg-go/scram, the SCRAM implementation Sarama's own examples use, to
// Sarama's SCRAMClient: Sarama speaks the Kafka framing, scram the conversation.
type scramClient struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func newSCRAMSHA256Client() sarama.SCRAMClient { return &scramClient{hash: sha256.New} }
func newSCRAMSHA512Client() sarama.SCRAMClient { return &scramClient{hash: sha512.New} }

// Begin starts a conversation. NewClient applies SASLprep to the credentials, as RFC 5802
// asks; its errors name the username but never the password.
func (c *scramClient) Begin(user, password, authzID string) error {
	client, err := c.hash.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	c.conv = client.NewConversation()
	return nil
}

func (c *scramClient) Step(challenge string) (string, error) { return c.conv.Step(challenge) }

func (c *scramClient) Done() bool { return c.conv.Done() }
