package webex

// Adaptive Cards 1.3, the version Webex renders (developer.webex.com, Buttons and Cards).

// CardContentType is the attachment content type of an Adaptive Card.
const CardContentType = "application/vnd.microsoft.card.adaptive"

// MaxCardActions is Webex's limit on a card's buttons.
const MaxCardActions = 5

// Attachment is a message attachment. Webex accepts one card per message.
type Attachment struct {
	ContentType string `json:"contentType"`
	Content     *Card  `json:"content"`
}

// Card is an Adaptive Card.
type Card struct {
	Type    string       `json:"type"` // "AdaptiveCard"
	Schema  string       `json:"$schema,omitempty"`
	Version string       `json:"version"`
	Body    []Element    `json:"body"`
	Actions []CardAction `json:"actions,omitempty"`
}

func newCard() *Card {
	return &Card{Type: "AdaptiveCard", Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Version: "1.3", Body: []Element{}}
}

// Element is a card body element: TextBlock, FactSet, Input.Text or Input.ChoiceSet.
type Element struct {
	Type         string       `json:"type"`
	ID           string       `json:"id,omitempty"`
	Text         string       `json:"text,omitempty"`
	Wrap         bool         `json:"wrap,omitempty"`
	Weight       string       `json:"weight,omitempty"`
	Size         string       `json:"size,omitempty"`
	Label        string       `json:"label,omitempty"`
	Placeholder  string       `json:"placeholder,omitempty"`
	Value        string       `json:"value,omitempty"`
	IsRequired   bool         `json:"isRequired,omitempty"`
	ErrorMessage string       `json:"errorMessage,omitempty"`
	Style        string       `json:"style,omitempty"`
	Choices      []CardChoice `json:"choices,omitempty"`
	Facts        []Fact       `json:"facts,omitempty"`
}

// CardChoice is one option of an Input.ChoiceSet.
type CardChoice struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Fact is one name/value pair of a FactSet.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// CardAction is a button. opsgate uses only Action.Submit; Data goes back merged with the inputs.
type CardAction struct {
	Type  string            `json:"type"` // "Action.Submit"
	Title string            `json:"title"`
	Style string            `json:"style,omitempty"` // "positive", "destructive"
	Data  map[string]string `json:"data,omitempty"`
	// AssociatedInputs "none" lets Next, Previous and Cancel submit without a required input filled.
	AssociatedInputs string `json:"associatedInputs,omitempty"`
}
