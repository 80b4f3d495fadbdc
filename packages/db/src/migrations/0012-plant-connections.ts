// Which server's MQTT gateway holds a plant's connection. Several servers
// sharing Redis each hold some plants; when one dies, the others publish the
// wills its plants left and mark its plants OFFLINE. A plant connected again
// since, to another server, must stay ONLINE: a connection's end changes the
// plant's state only while the row still names the gateway that held it.
// Null when the plant is offline (and for rows written before this column).
export default `
ALTER TABLE plants ADD COLUMN connected_via text;
`;
